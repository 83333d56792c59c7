package apply

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	metadatafake "k8s.io/client-go/metadata/fake"
	clienttesting "k8s.io/client-go/testing"

	"github.com/shipsafe/shipsafe/pkg/manifest"
)

// laggingMapper maps Gadget to v1alpha1 until it has been reset `lag` times, then to v1:
// discovery that drops a retired version a moment after the API server stops serving it.
type laggingMapper struct {
	meta.RESTMapper // unused methods
	mu              sync.Mutex
	resets          int
	lag             int
}

func (m *laggingMapper) Reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.resets++
}

func (m *laggingMapper) RESTMapping(gk schema.GroupKind, versions ...string) (*meta.RESTMapping, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	version := "v1"
	if m.resets < m.lag {
		version = "v1alpha1"
	}
	return &meta.RESTMapping{
		Resource:         schema.GroupVersionResource{Group: gk.Group, Version: version, Resource: "gadgets"},
		GroupVersionKind: gk.WithVersion(version),
		Scope:            meta.RESTScopeNamespace,
	}, nil
}

// TestDeleteWaitsForDiscoveryToDropARetiredVersion: the API server answers 404 for a
// version it stopped serving while discovery, read again, still lists it for a moment
// (seen on the local cluster, where the CRD change reached the handlers before
// discovery). Delete must read discovery again until it drops the version, then delete
// the object through the version served now.
func TestDeleteWaitsForDiscoveryToDropARetiredVersion(t *testing.T) {
	t.Parallel()
	group := "example.com"
	owner := manifest.Owner{Namespace: "apps", Name: "web"}
	live := &metav1.PartialObjectMetadata{
		TypeMeta: metav1.TypeMeta{APIVersion: group + "/v1", Kind: "Gadget"},
		ObjectMeta: metav1.ObjectMeta{Name: "old", Namespace: "apps", UID: "u1", ResourceVersion: "7",
			Labels:      map[string]string{manifest.ReleaseLabel: "web"},
			Annotations: map[string]string{manifest.ReleaseNamespaceAnnotation: "apps"}},
	}
	scheme := metadatafake.NewTestScheme()
	scheme.AddKnownTypeWithName(schema.GroupVersionKind{Group: group, Version: "v1", Kind: "Gadget"}, &metav1.PartialObjectMetadata{})
	client := metadatafake.NewSimpleMetadataClient(scheme, live)
	gadgets := schema.GroupResource{Group: group, Resource: "gadgets"}
	client.PrependReactor("*", "gadgets", func(action clienttesting.Action) (bool, runtime.Object, error) {
		if action.GetResource().Version == "v1alpha1" {
			return true, nil, apierrors.NewGenericServerResponse(http.StatusNotFound, action.GetVerb(), gadgets, "old", "404 page not found", 0, true)
		}
		return false, nil, nil
	})
	mapper := &laggingMapper{lag: 3}
	a := New(nil, client, mapper, 1)

	shell := &unstructured.Unstructured{}
	shell.SetAPIVersion(group + "/v1alpha1")
	shell.SetKind("Gadget")
	shell.SetNamespace("apps")
	shell.SetName("old")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	deleted, err := a.Delete(ctx, []*unstructured.Unstructured{shell}, DeleteOptions{Owner: owner})
	if err != nil {
		t.Fatalf("delete the Gadget recorded as v1alpha1 while discovery lags: %v", err)
	}
	if len(deleted) != 1 {
		t.Errorf("Delete reports %d objects deleted, want the Gadget", len(deleted))
	}
	v1 := schema.GroupVersionResource{Group: group, Version: "v1", Resource: "gadgets"}
	if _, err := client.Resource(v1).Namespace("apps").Get(ctx, "old", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the Gadget is still there after Delete (get: %v)", err)
	}
}
