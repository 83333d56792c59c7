package access

import (
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// perms renders permissions one per line as "verb resource namespace" for comparisons.
func perms(ps []Permission) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.Verb + " " + p.ResourceName() + " " + p.Namespace + "\n")
	}
	return b.String()
}

// lines returns the lines of s sorted, so that two lists compare as sets with duplicates.
func lines(s string) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	slices.Sort(l)
	return strings.Join(l, "\n")
}

func obj(group, kind, resource, ns string) Object {
	return Object{Kind: schema.GroupKind{Group: group, Kind: kind}, Resource: schema.GroupResource{Group: group, Resource: resource}, Namespace: ns}
}

func TestRequired(t *testing.T) {
	t.Parallel()
	records := `get secrets shop
list secrets shop
create secrets shop
update secrets shop
delete secrets shop
`
	lock := `get leases.coordination.k8s.io shop
create leases.coordination.k8s.io shop
update leases.coordination.k8s.io shop
delete leases.coordination.k8s.io shop
`
	tests := []struct {
		name string
		in   Release
		want string
	}{
		{
			name: "no objects: records and lock only",
			in:   Release{Namespace: "shop"},
			want: records + lock,
		},
		{
			name: "a ConfigMap is applied, never watched: no events, no watch",
			in:   Release{Namespace: "shop", Objects: []Object{obj("", "ConfigMap", "configmaps", "shop")}},
			want: `get configmaps shop
list configmaps shop
create configmaps shop
patch configmaps shop
delete configmaps shop
` + records + lock,
		},
		{
			name: "a Deployment in another namespace: watched with its pods, ReplicaSets and events there, its HPAs listed",
			in:   Release{Namespace: "shop", Objects: []Object{obj("apps", "Deployment", "deployments", "web")}},
			want: records + lock + `get deployments.apps web
list deployments.apps web
watch deployments.apps web
create deployments.apps web
patch deployments.apps web
delete deployments.apps web
list replicasets.apps web
watch replicasets.apps web
list horizontalpodautoscalers.autoscaling web
list events web
watch events web
list pods web
watch pods web
get pods/log web
`,
		},
		{
			name: "a cluster-scoped kind and --create-namespace: cluster-wide, no events",
			in: Release{Namespace: "shop", CreateNamespace: true, Objects: []Object{
				obj("example.com", "Widget", "widgets", ""),
			}},
			want: `get namespaces 
patch namespaces 
get widgets.example.com 
list widgets.example.com 
watch widgets.example.com 
create widgets.example.com 
patch widgets.example.com 
delete widgets.example.com 
` + records + lock,
		},
		{
			name: "two Services share one set of permissions",
			in: Release{Namespace: "shop", Objects: []Object{
				obj("", "Service", "services", "shop"), obj("", "Service", "services", "shop"),
			}},
			want: `list events shop
watch events shop
list pods shop
watch pods shop
get pods/log shop
` + records + `get services shop
list services shop
watch services shop
create services shop
patch services shop
delete services shop
list endpointslices.discovery.k8s.io shop
watch endpointslices.discovery.k8s.io shop
` + lock,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Required(tc.in)
			if !slices.IsSortedFunc(got, compare) {
				t.Errorf("Required is not sorted:\n%s", perms(got))
			}
			if lines(perms(got)) != lines(tc.want) {
				t.Errorf("Required:\n%s\nwant (in any order):\n%s", perms(got), tc.want)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	t.Parallel()
	mapper := meta.NewDefaultRESTMapper(nil)
	mapper.Add(schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, meta.RESTScopeNamespace)
	mapper.Add(schema.GroupVersionKind{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRole"}, meta.RESTScopeRoot)
	mapper.Add(schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"}, meta.RESTScopeRoot)
	u := func(apiVersion, kind, ns string) *unstructured.Unstructured {
		o := &unstructured.Unstructured{Object: map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": map[string]any{"name": "x"}}}
		o.SetNamespace(ns)
		return o
	}
	crd := u("apiextensions.k8s.io/v1", "CustomResourceDefinition", "")
	crd.Object["spec"] = map[string]any{"group": "example.com", "scope": "Namespaced",
		"names": map[string]any{"kind": "Widget", "plural": "widgetz"}}

	got, err := Resolve(mapper, []*unstructured.Unstructured{
		u("apps/v1", "Deployment", "shop"),
		u("rbac.authorization.k8s.io/v1", "ClusterRole", "shop"), // a stray namespace is dropped
		crd,
		u("example.com/v1", "Widget", "shop"),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []Object{
		obj("apps", "Deployment", "deployments", "shop"),
		obj("rbac.authorization.k8s.io", "ClusterRole", "clusterroles", ""),
		obj("apiextensions.k8s.io", "CustomResourceDefinition", "customresourcedefinitions", ""),
		obj("example.com", "Widget", "widgetz", "shop"),
	}
	if len(got) != len(want) {
		t.Fatalf("Resolve: %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("object %d: %+v, want %+v", i, got[i], want[i])
		}
	}

	if _, err := Resolve(mapper, []*unstructured.Unstructured{u("example.com/v1", "Gadget", "shop")}); err == nil || !strings.Contains(err.Error(), "Gadget") {
		t.Errorf("unknown kind: error %v, want one naming the kind", err)
	}
}
