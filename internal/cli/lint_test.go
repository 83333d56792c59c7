package cli

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestWithNamespaceLeavesTheObjectsAlone: the copies lint reads carry the namespace;
// the objects deployed afterwards are as they were.
func TestWithNamespaceLeavesTheObjectsAlone(t *testing.T) {
	t.Parallel()
	bare := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "a", "labels": map[string]any{"app": "web"}}, "data": map[string]any{"k": "v"}}}
	placed := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "b", "namespace": "other"}}}
	got := withNamespace([]*unstructured.Unstructured{bare, placed}, "prod")
	if got[0].GetNamespace() != "prod" || got[1].GetNamespace() != "other" || got[1] != placed {
		t.Errorf("namespaces %q, %q; want prod, and the placed object itself", got[0].GetNamespace(), got[1].GetNamespace())
	}
	if bare.GetNamespace() != "" || got[0].GetName() != "a" || got[0].GetLabels()["app"] != "web" {
		t.Errorf("original namespace %q (want none); copy %s labels %v", bare.GetNamespace(), got[0].GetName(), got[0].GetLabels())
	}
}
