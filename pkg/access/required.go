package access

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/shipsafe/shipsafe/pkg/apply"
	"github.com/shipsafe/shipsafe/pkg/track"
)

// Object is one object of a release as permissions see it: its kind, its resource and
// where it lives (Namespace empty for a cluster-scoped object).
type Object struct {
	Kind      schema.GroupKind
	Resource  schema.GroupResource
	Namespace string
}

// Release is what a deploy of a release touches.
type Release struct {
	// Namespace holds the release's records and lock.
	Namespace string
	// Objects are the release's objects and hooks, resolved with Resolve.
	Objects []Object
	// CreateNamespace adds what --create-namespace needs: reading and applying the
	// Namespace (cluster-wide).
	CreateNamespace bool
}

// Verbs of the release's own bookkeeping in its namespace.
var (
	recordVerbs = []string{"get", "list", "create", "update", "delete"}
	lockVerbs   = []string{"get", "create", "update", "delete"}
	// objectVerbs serve every applied kind: get (re-read before a delete, hand-edit
	// checks), list (what exists, one metadata LIST per kind and namespace), create and
	// patch (server-side apply and its dry run: the API server authorizes an apply that
	// creates the object as a create too), delete (prune, restore, uninstall).
	objectVerbs = []string{"get", "list", "create", "patch", "delete"}
	watchVerbs  = []string{"list", "watch"}
)

// Required returns every permission deploying, rolling back and uninstalling r needs,
// sorted and each once. It is pure.
func Required(r Release) []Permission {
	// A release of many objects asks the same few permissions over and over: each is
	// kept once as it is added, so that only the distinct ones are sorted.
	var out []Permission
	seen := map[Permission]bool{}
	add := func(gr schema.GroupResource, sub, ns string, verbs ...string) {
		for _, v := range verbs {
			p := Permission{Group: gr.Group, Resource: gr.Resource, Subresource: sub, Namespace: ns, Verb: v}
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	add(schema.GroupResource{Resource: "secrets"}, "", r.Namespace, recordVerbs...)
	add(schema.GroupResource{Group: "coordination.k8s.io", Resource: "leases"}, "", r.Namespace, lockVerbs...)
	if r.CreateNamespace {
		add(schema.GroupResource{Resource: "namespaces"}, "", "", "get", "patch")
	}
	for _, o := range r.Objects {
		add(o.Resource, "", o.Namespace, objectVerbs...)
		if o.Namespace != "" && apply.Scalable(o.Kind.Group, o.Kind.Kind) {
			// Apply looks for the HPAs that scale it, to leave them its replicas.
			add(apply.HPAResource.GroupResource(), "", o.Namespace, "list")
		}
		self, related := track.Watches(o.Kind.Group, o.Kind.Kind, o.Namespace != "")
		if self {
			add(o.Resource, "", o.Namespace, "watch")
		}
		for _, gr := range related {
			add(gr, "", o.Namespace, watchVerbs...)
			if gr == (schema.GroupResource{Resource: "pods"}) {
				add(gr, "log", o.Namespace, "get")
			}
		}
	}
	return Sorted(out)
}

// Resolve maps objs (normalized: namespaces set) to their resources. A kind that a
// CustomResourceDefinition among objs defines takes its plural from that CRD; the others
// come from mapper.
func Resolve(mapper meta.RESTMapper, objs []*unstructured.Unstructured) ([]Object, error) {
	defined := definedResources(objs)
	out := make([]Object, 0, len(objs))
	for _, o := range objs {
		gvk := o.GroupVersionKind()
		obj := Object{Kind: gvk.GroupKind(), Namespace: o.GetNamespace()}
		if gr, ok := defined[gvk.GroupKind()]; ok {
			obj.Resource = gr
			out = append(out, obj)
			continue
		}
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			return nil, fmt.Errorf("map kind %s of %s: %w", gvk, o.GetName(), err)
		}
		obj.Resource = m.Resource.GroupResource()
		if m.Scope.Name() != meta.RESTScopeNameNamespace {
			obj.Namespace = ""
		}
		out = append(out, obj)
	}
	return out, nil
}

// definedResources returns the resources of the kinds that CRDs among objs define.
func definedResources(objs []*unstructured.Unstructured) map[schema.GroupKind]schema.GroupResource {
	m := map[schema.GroupKind]schema.GroupResource{}
	for _, o := range objs {
		if o.GetKind() != "CustomResourceDefinition" || o.GroupVersionKind().Group != "apiextensions.k8s.io" {
			continue
		}
		group, _, _ := unstructured.NestedString(o.Object, "spec", "group")
		kind, _, _ := unstructured.NestedString(o.Object, "spec", "names", "kind")
		plural, _, _ := unstructured.NestedString(o.Object, "spec", "names", "plural")
		if group != "" && kind != "" && plural != "" {
			m[schema.GroupKind{Group: group, Kind: kind}] = schema.GroupResource{Group: group, Resource: plural}
		}
	}
	return m
}
