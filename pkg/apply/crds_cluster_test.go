package apply_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/shipsafe/shipsafe/pkg/apply"
	"github.com/shipsafe/shipsafe/pkg/manifest"
)

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// crdAndWidgets returns a CRD of kind Widget in a group unique to the test's namespace and
// n Widgets, owned by e.owner(); the CRD is deleted when the test ends.
func (e *env) crdAndWidgets(t *testing.T, n int) (crd *unstructured.Unstructured, widgets []*unstructured.Unstructured) {
	t.Helper()
	group := e.ns + ".apply.shipsafe.io"
	crd = &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1",
		"kind":       "CustomResourceDefinition",
		"metadata":   map[string]any{"name": "widgets." + group},
		"spec": map[string]any{
			"group": group,
			"names": map[string]any{"kind": "Widget", "plural": "widgets", "singular": "widget", "listKind": "WidgetList"},
			"scope": "Namespaced",
			"versions": []any{map[string]any{"name": "v1", "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}},
		},
	}}
	t.Cleanup(func() {
		_ = e.clients.Dynamic.Resource(crdGVR).Delete(context.Background(), crd.GetName(), metav1.DeleteOptions{})
	})
	objs := []*unstructured.Unstructured{crd}
	for i := range n {
		w := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{"size": int64(i)}}}
		w.SetAPIVersion(group + "/v1")
		w.SetKind("Widget")
		w.SetNamespace(e.ns)
		w.SetName(fmt.Sprintf("w-%02d", i))
		widgets = append(widgets, w)
		objs = append(objs, w)
	}
	if err := manifest.SetOwner(objs, e.owner()); err != nil {
		t.Fatal(err)
	}
	return crd, widgets
}

// TestApplyCRDWithItsResources applies a CRD and its custom resources in one Apply: they
// are applied once the CRD is Established and discovery lists the kind. Once the CRD is
// deleted behind the Applier's back (its cached discovery still lists the kind),
// Existing finds none of them instead of failing on the list's NotFound.
func TestApplyCRDWithItsResources(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	crd, widgets := e.crdAndWidgets(t, 5)

	applied, err := e.applier.Apply(ctx, append([]*unstructured.Unstructured{crd}, widgets...), apply.Options{})
	if err != nil {
		t.Fatalf("apply a CRD with its custom resources: %v", err)
	}
	if len(applied) != 6 {
		t.Fatalf("applied %d objects, want 6", len(applied))
	}
	existing, err := e.applier.Existing(ctx, widgets)
	if err != nil || len(existing) != 5 {
		t.Fatalf("Existing after apply: %d objects, error %v; want 5, nil", len(existing), err)
	}

	if err := e.clients.Dynamic.Resource(crdGVR).Delete(ctx, crd.GetName(), metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		_, err := e.clients.Dynamic.Resource(crdGVR).Get(ctx, crd.GetName(), metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if err != nil {
		t.Fatalf("CRD %s was not deleted: %v", crd.GetName(), err)
	}
	existing, err = e.applier.Existing(ctx, widgets)
	if err != nil || len(existing) != 0 {
		t.Fatalf("Existing after the CRD was deleted: %d objects, error %v; want none, nil", len(existing), err)
	}
}
