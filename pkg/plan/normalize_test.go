package plan

import (
	"errors"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/shipsafe/shipsafe/pkg/apply"
	"github.com/shipsafe/shipsafe/pkg/manifest"
)

func obj(apiVersion, kind, namespace, name string) *unstructured.Unstructured {
	o := &unstructured.Unstructured{}
	o.SetAPIVersion(apiVersion)
	o.SetKind(kind)
	o.SetNamespace(namespace)
	o.SetName(name)
	return o
}

func crd(group, kind, scope string) *unstructured.Unstructured {
	o := obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", kind+"s."+group)
	o.Object["spec"] = map[string]any{"group": group, "scope": scope, "names": map[string]any{"kind": kind}}
	return o
}

func testMapper() meta.RESTMapper {
	m := meta.NewDefaultRESTMapper(nil)
	m.Add(schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, meta.RESTScopeNamespace)
	m.Add(schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}, meta.RESTScopeRoot)
	m.Add(schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"}, meta.RESTScopeRoot)
	return m
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	in := []*unstructured.Unstructured{
		obj("v1", "ConfigMap", "", "a"),
		obj("v1", "Namespace", "ignored", "team"),
		crd("example.com", "Widget", "Namespaced"),
		obj("example.com/v1", "Widget", "", "w"),
	}
	out, err := Normalize(testMapper(), in, "web", "prod")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"prod", "", "", "prod"}
	for i, o := range out {
		if o.GetNamespace() != want[i] {
			t.Errorf("%s: namespace %q, want %q", manifest.KeyOf(o), o.GetNamespace(), want[i])
		}
		if o.GetLabels()[manifest.ReleaseLabel] != "web" {
			t.Errorf("%s: no release label", manifest.KeyOf(o))
		}
	}
	if in[0].GetNamespace() != "" || in[0].GetLabels() != nil {
		t.Error("Normalize modified its input")
	}
	_, err = Normalize(testMapper(), []*unstructured.Unstructured{obj("v1", "ConfigMap", "", "a"), obj("v1", "ConfigMap", "prod", "a")}, "web", "prod")
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Errorf("duplicate after defaulting: %v, want an *InputError", err)
	}
	_, err = Normalize(testMapper(), []*unstructured.Unstructured{obj("example.com/v1", "Gadget", "", "g")}, "web", "prod")
	if !errors.As(err, &ie) || !errors.Is(err, apply.ErrUnknownKind) {
		t.Errorf("unknown kind: %v, want an *InputError wrapping apply.ErrUnknownKind", err)
	}
}

func TestDryRunnable(t *testing.T) {
	t.Parallel()
	objs := []*unstructured.Unstructured{
		obj("v1", "Namespace", "", "new"),
		obj("v1", "Namespace", "", "old"),
		obj("v1", "ConfigMap", "new", "in-new"),
		obj("v1", "ConfigMap", "old", "in-old"),
		crd("example.com", "Widget", "Namespaced"),
		obj("example.com/v1", "Widget", "old", "w"),
	}
	existing := map[manifest.Key]*metav1.ObjectMeta{manifest.KeyOf(objs[1]): {}}
	if got := names(DryRunnable(objs, existing)); got != "new old in-old Widgets.example.com" {
		t.Errorf("DryRunnable = %q", got)
	}
}
