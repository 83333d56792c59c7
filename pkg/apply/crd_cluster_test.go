package apply_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/shipsafe/shipsafe/pkg/apply"
)

// TestCRDAndItsResourcesInOneApply applies a new CustomResourceDefinition and 20
// resources of its kind in one Apply, as a chart with crds/ and custom resources does:
// the resources wait until the API server serves the new kind.
func TestCRDAndItsResourcesInOneApply(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	group := strings.ReplaceAll(e.ns, "-", "") + ".apply.shipsafe.test"
	crdName := "gadgets." + group
	crds := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	t.Cleanup(func() {
		_ = e.clients.Dynamic.Resource(crds).Delete(context.Background(), crdName, metav1.DeleteOptions{})
	})
	crd := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": crdName},
		"spec": map[string]any{
			"group": group, "scope": "Namespaced",
			"names": map[string]any{"kind": "Gadget", "plural": "gadgets", "singular": "gadget"},
			"versions": []any{map[string]any{"name": "v1", "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}},
		},
	}}
	objs := []*unstructured.Unstructured{crd}
	for i := range 20 {
		objs = append(objs, &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": group + "/v1", "kind": "Gadget",
			"metadata": map[string]any{"name": fmt.Sprintf("gadget-%d", i), "namespace": e.ns},
			"spec":     map[string]any{"size": int64(i)},
		}})
	}
	applied, err := e.applier.Apply(ctx, objs, apply.Options{})
	if err != nil {
		t.Fatalf("apply a CRD and its resources: %v", err)
	}
	if len(applied) != len(objs) {
		t.Fatalf("applied %d objects, want %d", len(applied), len(objs))
	}
}
