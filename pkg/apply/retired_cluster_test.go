package apply_test

import (
	"context"
	"strings"
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

// TestDeleteUnderRetiredVersion applies a custom resource as v1alpha1 of a CRD serving
// v1alpha1 and v1, then stops serving v1alpha1 while the Applier's discovery still lists
// it (read before the change, as in a long uninstall). Delete of the object as recorded,
// v1alpha1, must find it through the version served now and delete it, not take the API
// server's 404 for the version as "already gone".
func TestDeleteUnderRetiredVersion(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	group := strings.ReplaceAll(e.ns, "-", "") + ".retired.shipsafe.test"
	crdName := "gadgets." + group
	crds := e.clients.Dynamic.Resource(schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"})
	t.Cleanup(func() { _ = crds.Delete(context.Background(), crdName, metav1.DeleteOptions{}) })
	version := func(name string, served, storage bool) any {
		return map[string]any{"name": name, "served": served, "storage": storage,
			"schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}
	}
	crd := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": crdName},
		"spec": map[string]any{
			"group": group, "scope": "Namespaced",
			"names":    map[string]any{"kind": "Gadget", "plural": "gadgets", "singular": "gadget"},
			"versions": []any{version("v1", true, true), version("v1alpha1", true, false)},
		},
	}}
	gadget := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": group + "/v1alpha1", "kind": "Gadget",
		"metadata": map[string]any{"name": "old", "namespace": e.ns},
		"spec":     map[string]any{"size": int64(1)},
	}}
	if err := manifest.SetOwner([]*unstructured.Unstructured{gadget}, e.owner()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.applier.Apply(ctx, []*unstructured.Unstructured{crd, gadget}, apply.Options{}); err != nil {
		t.Fatalf("apply the CRD and a Gadget as v1alpha1: %v", err)
	}

	// Retire v1alpha1, outside the Applier: its discovery is now stale.
	live, err := crds.Get(ctx, crdName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := unstructured.SetNestedSlice(live.Object, []any{version("v1", true, true), version("v1alpha1", false, false)}, "spec", "versions"); err != nil {
		t.Fatal(err)
	}
	if _, err := crds.Update(ctx, live, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("stop serving v1alpha1: %v", err)
	}
	alpha := e.clients.Dynamic.Resource(schema.GroupVersionResource{Group: group, Version: "v1alpha1", Resource: "gadgets"}).Namespace(e.ns)
	if err := wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		_, err := alpha.List(ctx, metav1.ListOptions{})
		return apierrors.IsNotFound(err), nil
	}); err != nil {
		t.Fatalf("v1alpha1 is still served: %v", err)
	}

	shell := &unstructured.Unstructured{}
	shell.SetAPIVersion(group + "/v1alpha1")
	shell.SetKind("Gadget")
	shell.SetNamespace(e.ns)
	shell.SetName("old")
	deleted, err := e.applier.Delete(ctx, []*unstructured.Unstructured{shell}, apply.DeleteOptions{Owner: e.owner()})
	if err != nil {
		t.Fatalf("delete the Gadget recorded as v1alpha1: %v", err)
	}
	if len(deleted) != 1 {
		t.Errorf("Delete reports %d objects deleted, want the Gadget", len(deleted))
	}
	v1 := e.clients.Dynamic.Resource(schema.GroupVersionResource{Group: group, Version: "v1", Resource: "gadgets"}).Namespace(e.ns)
	g, err := v1.Get(ctx, "old", metav1.GetOptions{})
	if err == nil && g.GetDeletionTimestamp() == nil {
		t.Errorf("the Gadget recorded as v1alpha1 is still there (read as v1): Delete leaked it")
	} else if err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
}
