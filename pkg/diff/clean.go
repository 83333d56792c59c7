package diff

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// volatile are the fields every write changes or the server alone owns; they are left
// out of every comparison and rendering.
var volatile = [][]string{
	{"metadata", "managedFields"},
	{"metadata", "resourceVersion"},
	{"metadata", "generation"},
	{"metadata", "uid"},
	{"metadata", "creationTimestamp"},
	{"metadata", "selfLink"},
	{"status"},
}

// clean returns a copy of obj without the volatile fields; nil for nil.
func clean(obj *unstructured.Unstructured) *unstructured.Unstructured {
	if obj == nil {
		return nil
	}
	c := obj.DeepCopy()
	for _, f := range volatile {
		unstructured.RemoveNestedField(c.Object, f...)
	}
	if md, ok := c.Object["metadata"].(map[string]any); ok && len(md) == 0 {
		delete(c.Object, "metadata")
	}
	return c
}

// toYAML renders obj as YAML with sorted keys; "" for nil.
func toYAML(obj *unstructured.Unstructured) (string, error) {
	if obj == nil {
		return "", nil
	}
	b, err := yaml.Marshal(obj.Object)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// contentOf returns the object's content for comparison (nil for nil).
func contentOf(obj *unstructured.Unstructured) map[string]any {
	if obj == nil {
		return nil
	}
	return obj.Object
}
