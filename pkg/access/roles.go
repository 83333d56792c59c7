package access

import (
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Rules returns the rules that grant perms, one per (group, resource) with its verbs in
// a fixed order (get, list, watch, create, update, patch, delete), sorted by group and
// resource. Namespaces are ignored: pass the permissions of one scope.
func Rules(perms []Permission) []rbacv1.PolicyRule {
	var out []rbacv1.PolicyRule
	for _, p := range Sorted(withoutNamespace(perms)) {
		if n := len(out); n > 0 && out[n-1].APIGroups[0] == p.Group && out[n-1].Resources[0] == p.rbacResource() {
			out[n-1].Verbs = append(out[n-1].Verbs, p.Verb)
			continue
		}
		out = append(out, rbacv1.PolicyRule{APIGroups: []string{p.Group}, Resources: []string{p.rbacResource()}, Verbs: []string{p.Verb}})
	}
	return out
}

func withoutNamespace(perms []Permission) []Permission {
	out := make([]Permission, len(perms))
	for i, p := range perms {
		p.Namespace = ""
		out[i] = p
	}
	return out
}

// RoleSet is the RBAC objects that grant a set of permissions.
type RoleSet struct {
	// Roles holds one Role per namespace, by namespace name.
	Roles []*rbacv1.Role
	// ClusterRole grants the cluster-wide permissions; nil when there are none.
	ClusterRole *rbacv1.ClusterRole
}

// Roles returns the minimal RoleSet granting perms: a Role named name in each namespace
// that perms use, and a ClusterRole named clusterName when some are cluster-wide.
func Roles(name, clusterName string, perms []Permission) RoleSet {
	byNS := map[string][]Permission{}
	var namespaces []string
	for _, p := range Sorted(perms) {
		if _, ok := byNS[p.Namespace]; !ok && p.Namespace != "" {
			namespaces = append(namespaces, p.Namespace)
		}
		byNS[p.Namespace] = append(byNS[p.Namespace], p)
	}
	var set RoleSet
	if cluster := byNS[""]; len(cluster) > 0 {
		set.ClusterRole = &rbacv1.ClusterRole{
			TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
			ObjectMeta: metav1.ObjectMeta{Name: clusterName},
			Rules:      Rules(cluster),
		}
	}
	for _, ns := range namespaces {
		set.Roles = append(set.Roles, &rbacv1.Role{
			TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Rules:      Rules(byNS[ns]),
		})
	}
	return set
}

// RuleText writes a rule on one line, as in YAML flow style:
// {apiGroups: [""], resources: ["events"], verbs: ["list", "watch"]}.
func RuleText(r rbacv1.PolicyRule) string {
	return fmt.Sprintf("{apiGroups: [%s], resources: [%s], verbs: [%s]}", quoted(r.APIGroups), quoted(r.Resources), quoted(r.Verbs))
}

func quoted(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}
