package manifest

import (
	"cmp"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Key identifies one object in a deploy: its API group (empty for the core group), kind,
// namespace (empty for cluster-scoped objects or before defaulting) and name. The version
// is deliberately not part of the key: apps/v1 and apps/v1beta2 Deployments named alike are
// the same object.
type Key struct {
	Group     string `json:"group"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// KeyOf returns the Key of obj, read from its apiVersion, kind, metadata.namespace and
// metadata.name as they are now (call it after SetDefaultNamespace for final keys).
func KeyOf(obj *unstructured.Unstructured) Key {
	// The fields are read as the Unstructured getters read them ("" when missing or not a
	// string), without their general path walk: KeyOf runs for every object many times.
	meta, _ := obj.Object["metadata"].(map[string]any)
	namespace, _ := meta["namespace"].(string)
	name, _ := meta["name"].(string)
	apiVersion, _ := obj.Object["apiVersion"].(string)
	group, ok := groupOf(apiVersion)
	if !ok { // malformed: as GroupVersionKind reads it
		gvk := obj.GroupVersionKind()
		return Key{Group: gvk.Group, Kind: gvk.Kind, Namespace: namespace, Name: name}
	}
	kind, _ := obj.Object["kind"].(string)
	return Key{Group: group, Kind: kind, Namespace: namespace, Name: name}
}

// groupOf returns the group of apiVersion ("apps" of "apps/v1", "" of "v1") without
// parsing the version, as KeyOf runs for every object many times in a deploy; ok is false
// for a malformed apiVersion (more than one slash).
func groupOf(apiVersion string) (group string, ok bool) {
	i := strings.IndexByte(apiVersion, '/')
	switch {
	case i < 0:
		return "", true
	case strings.IndexByte(apiVersion[i+1:], '/') >= 0:
		return "", false
	}
	return apiVersion[:i], true
}

// String renders the key as "group/Kind namespace/name", leaving out the group of core
// objects and the namespace when it is empty: "apps/Deployment prod/web",
// "Service prod/web", "rbac.authorization.k8s.io/ClusterRole reader", "Namespace prod".
func (k Key) String() string {
	s := k.Kind
	if k.Group != "" {
		s = k.Group + "/" + k.Kind
	}
	if k.Namespace != "" {
		return s + " " + k.Namespace + "/" + k.Name
	}
	return s + " " + k.Name
}

// Compare orders keys by group, kind, namespace and name; it returns -1, 0 or +1 like
// cmp.Compare, for use with slices.SortFunc.
func (k Key) Compare(o Key) int {
	if c := cmp.Compare(k.Group, o.Group); c != 0 {
		return c
	}
	if c := cmp.Compare(k.Kind, o.Kind); c != 0 {
		return c
	}
	if c := cmp.Compare(k.Namespace, o.Namespace); c != 0 {
		return c
	}
	return cmp.Compare(k.Name, o.Name)
}

// Index maps each object's current Key to the object. When two objects share a key the
// later one wins; Load and SetDefaultNamespace reject such sets, so this only matters for
// sets built by hand.
func Index(objs []*unstructured.Unstructured) map[Key]*unstructured.Unstructured {
	m := make(map[Key]*unstructured.Unstructured, len(objs))
	for _, o := range objs {
		m[KeyOf(o)] = o
	}
	return m
}
