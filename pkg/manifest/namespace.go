package manifest

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// ScopeFunc reports whether objects of a kind are namespaced; in the deploy flow it wraps
// a RESTMapper lookup. It returns an error when the kind is unknown.
type ScopeFunc func(gvk schema.GroupVersionKind) (namespaced bool, err error)

// SetDefaultNamespace prepares objs, in place, for one target namespace ns (which must not
// be empty):
//   - a namespaced object without metadata.namespace gets ns; one with an explicit
//     namespace keeps it;
//   - a cluster-scoped object loses any metadata.namespace it carries, as kubectl does,
//     so its key and the applied object are the same whatever the manifest said.
//
// Scope is read from the CustomResourceDefinitions in objs first, so custom resources of a
// CRD applied in the same deploy work before the API server knows the kind; any other
// kind is looked up with isNamespaced. Afterwards it checks that no two objects have the
// same key, which catches an object defined once with and once without the namespace.
func SetDefaultNamespace(objs []*unstructured.Unstructured, ns string, isNamespaced ScopeFunc) error {
	if ns == "" {
		return fmt.Errorf("set default namespace: the namespace is empty")
	}
	crdScopes := DefinedScopes(objs)
	explicit := make(map[*unstructured.Unstructured]bool, len(objs))
	for _, o := range objs {
		gvk := o.GroupVersionKind()
		namespaced, ok := crdScopes[schema.GroupKind{Group: gvk.Group, Kind: gvk.Kind}]
		if !ok {
			var err error
			namespaced, err = isNamespaced(gvk)
			if err != nil {
				return fmt.Errorf("find the scope of %s: %w", KeyOf(o), err)
			}
		}
		switch {
		case !namespaced:
			o.SetNamespace("")
		case o.GetNamespace() == "":
			o.SetNamespace(ns)
		default:
			explicit[o] = true
		}
	}
	seen := make(map[Key]*unstructured.Unstructured, len(objs))
	for _, o := range objs {
		k := KeyOf(o)
		prev, dup := seen[k]
		if !dup {
			seen[k] = o
			continue
		}
		detail := "two documents define it"
		switch {
		case k.Namespace == "":
			detail = "two documents define this cluster-scoped object (metadata.namespace is ignored for it)"
		case explicit[prev] != explicit[o]:
			detail = fmt.Sprintf("one document sets metadata.namespace %q and another leaves it empty, which defaults to %q", k.Namespace, ns)
		}
		return &DuplicateError{Key: k, Detail: detail}
	}
	return nil
}

// DefinedScopes returns, for every CustomResourceDefinition in objs, the kind it defines
// and whether that kind is namespaced (spec.scope "Namespaced").
func DefinedScopes(objs []*unstructured.Unstructured) map[schema.GroupKind]bool {
	m := map[schema.GroupKind]bool{}
	for _, o := range objs {
		if !IsCRD(KeyOf(o)) {
			continue
		}
		group, _, _ := unstructured.NestedString(o.Object, "spec", "group")
		kind, _, _ := unstructured.NestedString(o.Object, "spec", "names", "kind")
		scope, _, _ := unstructured.NestedString(o.Object, "spec", "scope")
		if group != "" && kind != "" {
			m[schema.GroupKind{Group: group, Kind: kind}] = scope == "Namespaced"
		}
	}
	return m
}
