package manifest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// fakeScope knows a few built-in kinds, like a RESTMapper would, and nothing else.
func fakeScope(gvk schema.GroupVersionKind) (bool, error) {
	switch gvk.GroupKind() {
	case schema.GroupKind{Group: "apps", Kind: "Deployment"}, schema.GroupKind{Kind: "ConfigMap"}:
		return true, nil
	case schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}, schema.GroupKind{Kind: "Namespace"},
		schema.GroupKind{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}:
		return false, nil
	}
	return false, fmt.Errorf("no matches for kind %q in group %q", gvk.Kind, gvk.Group)
}

func TestSetDefaultNamespace(t *testing.T) {
	t.Parallel()
	objs := load(t, "testdata/scope.yaml")
	if err := SetDefaultNamespace(objs, "shop", fakeScope); err != nil {
		t.Fatalf("SetDefaultNamespace: %v", err)
	}
	want := []string{
		"apps/Deployment shop/web",                     // defaulted
		"ConfigMap other/web",                          // explicit namespace kept
		"rbac.authorization.k8s.io/ClusterRole reader", // cluster-scoped: namespace cleared
		"Namespace shop",
		"apiextensions.k8s.io/CustomResourceDefinition widgets.example.com",
		"apiextensions.k8s.io/CustomResourceDefinition gadgets.example.com",
		"example.com/Widget shop/w1", // scope from the CRD in the set
		"example.com/Gadget g1",      // cluster scope from the CRD in the set
	}
	if got := keyStrings(objs); !slices.Equal(got, want) {
		t.Errorf("keys:\n got %q\nwant %q", got, want)
	}
}

func TestSetDefaultNamespaceErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fixture string
		ns      string
		want    []string
		dup     bool
	}{
		{
			name:    "object defined with and without the default namespace",
			fixture: "testdata/dup-after-default.yaml",
			ns:      "shop",
			want:    []string{"duplicate object ConfigMap shop/web", `one document sets metadata.namespace "shop" and another leaves it empty`},
			dup:     true,
		},
		{
			name:    "cluster-scoped object in two namespaces",
			fixture: "testdata/dup-cluster-scoped.yaml",
			ns:      "shop",
			want:    []string{"duplicate object rbac.authorization.k8s.io/ClusterRole reader", "cluster-scoped"},
			dup:     true,
		},
		{
			name:    "unknown kind",
			fixture: "testdata/order.yaml",
			ns:      "shop",
			want:    []string{"find the scope of", `no matches for kind`},
		},
		{
			name:    "empty namespace",
			fixture: "testdata/app",
			ns:      "",
			want:    []string{"namespace is empty"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := SetDefaultNamespace(load(t, tt.fixture), tt.ns, fakeScope)
			if err == nil {
				t.Fatal("SetDefaultNamespace returned no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			var de *DuplicateError
			if got := errors.As(err, &de); got != tt.dup {
				t.Errorf("errors.As(*DuplicateError) = %v, want %v", got, tt.dup)
			}
			if got := errors.Is(err, ErrInvalid); got != tt.dup {
				t.Errorf("errors.Is(ErrInvalid) = %v, want %v", got, tt.dup)
			}
		})
	}
}
