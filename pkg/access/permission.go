package access

import (
	"cmp"
	"fmt"
	"slices"
)

// Permission is one verb on one resource (optionally a subresource) in one namespace, or
// cluster-wide when Namespace is empty: the unit a SelfSubjectAccessReview answers and an
// RBAC rule grants.
type Permission struct {
	Group       string
	Resource    string
	Subresource string
	// Namespace is where the verb applies; empty for cluster-scoped resources.
	Namespace string
	Verb      string
}

// ResourceName is the resource as RBAC rules and kubectl spell it: "deployments.apps",
// "events", "pods/log".
func (p Permission) ResourceName() string {
	r := p.rbacResource()
	if p.Group != "" {
		r += "." + p.Group
	}
	return r
}

// rbacResource is the resource as a rule's resources list names it ("pods/log").
func (p Permission) rbacResource() string {
	if p.Subresource != "" {
		return p.Resource + "/" + p.Subresource
	}
	return p.Resource
}

// Scope says where the permission applies: `in namespace "x"` or "cluster-wide".
func (p Permission) Scope() string {
	if p.Namespace == "" {
		return "cluster-wide"
	}
	return fmt.Sprintf("in namespace %q", p.Namespace)
}

// String reads "list events in namespace \"web\"".
func (p Permission) String() string {
	return fmt.Sprintf("%s %s %s", p.Verb, p.ResourceName(), p.Scope())
}

// verbOrder is the order verbs are listed in: reads, then writes.
var verbOrder = []string{"get", "list", "watch", "create", "update", "patch", "delete"}

func verbRank(v string) int {
	if i := slices.Index(verbOrder, v); i >= 0 {
		return i
	}
	return len(verbOrder)
}

// compare orders permissions by namespace (cluster-wide first), group, resource,
// subresource, then verb in verbOrder.
func compare(a, b Permission) int {
	return cmp.Or(
		cmp.Compare(a.Namespace, b.Namespace),
		cmp.Compare(a.Group, b.Group),
		cmp.Compare(a.Resource, b.Resource),
		cmp.Compare(a.Subresource, b.Subresource),
		cmp.Compare(verbRank(a.Verb), verbRank(b.Verb)),
		cmp.Compare(a.Verb, b.Verb),
	)
}

// Sorted returns perms sorted and without duplicates; perms is not modified.
func Sorted(perms []Permission) []Permission {
	out := slices.Clone(perms)
	slices.SortFunc(out, compare)
	return slices.Compact(out)
}
