package manifest

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestKeyString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key  Key
		want string
	}{
		{Key{Group: "apps", Kind: "Deployment", Namespace: "prod", Name: "web"}, "apps/Deployment prod/web"},
		{Key{Kind: "Service", Namespace: "prod", Name: "web"}, "Service prod/web"},
		{Key{Kind: "Namespace", Name: "prod"}, "Namespace prod"},
		{Key{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "system:reader"}, "rbac.authorization.k8s.io/ClusterRole system:reader"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			if got := tt.key.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestKeyCompare(t *testing.T) {
	t.Parallel()
	base := Key{Group: "apps", Kind: "Deployment", Namespace: "b", Name: "b"}
	tests := []struct {
		name  string
		other Key
		want  int
	}{
		{"equal", base, 0},
		{"group first", Key{Group: "batch", Kind: "A", Namespace: "a", Name: "a"}, -1},
		{"kind second", Key{Group: "apps", Kind: "DaemonSet", Namespace: "z", Name: "z"}, 1},
		{"namespace third", Key{Group: "apps", Kind: "Deployment", Namespace: "c", Name: "a"}, -1},
		{"name last", Key{Group: "apps", Kind: "Deployment", Namespace: "b", Name: "a"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := base.Compare(tt.other); got != tt.want {
				t.Errorf("Compare(%s) = %d, want %d", tt.other, got, tt.want)
			}
			if got := tt.other.Compare(base); got != -tt.want {
				t.Errorf("reverse Compare = %d, want %d", got, -tt.want)
			}
		})
	}
}

func TestKeyOfAndIndex(t *testing.T) {
	t.Parallel()
	objs := load(t, "testdata/app")
	idx := Index(objs)
	if len(idx) != len(objs) {
		t.Fatalf("Index has %d entries, want %d", len(idx), len(objs))
	}
	k := Key{Group: "apps", Kind: "Deployment", Name: "web"}
	if got := idx[k]; got == nil || got.GetKind() != "Deployment" {
		t.Errorf("Index[%s] = %v", k, got)
	}
}

// TestKeyOfReadsTheGroupAsGroupVersionKindDoes: KeyOf's own parsing of apiVersion gives
// the group and kind that unstructured's GroupVersionKind gives, malformed ones included.
func TestKeyOfReadsTheGroupAsGroupVersionKindDoes(t *testing.T) {
	t.Parallel()
	for _, av := range []string{"v1", "apps/v1", "rbac.authorization.k8s.io/v1", "example.com/v1alpha1", "", "/", "apps/", "/v1", "a/b/c", "a//b"} {
		o := &unstructured.Unstructured{Object: map[string]any{"apiVersion": av, "kind": "Thing",
			"metadata": map[string]any{"name": "n", "namespace": "ns"}}}
		gvk := o.GroupVersionKind()
		want := Key{Group: gvk.Group, Kind: gvk.Kind, Namespace: "ns", Name: "n"}
		if got := KeyOf(o); got != want {
			t.Errorf("KeyOf with apiVersion %q = %+v, want %+v", av, got, want)
		}
	}
}

// TestKeyOfReadsFieldsAsTheGettersDo: odd shapes (no metadata, metadata or a field that
// is not what it should be) give the keys the Unstructured getters would.
func TestKeyOfReadsFieldsAsTheGettersDo(t *testing.T) {
	t.Parallel()
	for i, obj := range []map[string]any{
		{},
		{"apiVersion": 1, "kind": 2, "metadata": "x"},
		{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": 3, "namespace": nil}},
		{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "web"}},
		{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "web", "namespace": "prod"}},
	} {
		o := &unstructured.Unstructured{Object: obj}
		gvk := o.GroupVersionKind()
		want := Key{Group: gvk.Group, Kind: o.GetKind(), Namespace: o.GetNamespace(), Name: o.GetName()}
		if got := KeyOf(o); got != want {
			t.Errorf("object %d: KeyOf = %+v, want %+v", i, got, want)
		}
	}
}
