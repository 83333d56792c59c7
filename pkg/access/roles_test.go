package access

import (
	"strings"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
)

func TestRoles(t *testing.T) {
	t.Parallel()
	in := []Permission{
		{Resource: "secrets", Namespace: "shop", Verb: "delete"},
		{Resource: "secrets", Namespace: "shop", Verb: "get"},
		{Resource: "secrets", Namespace: "shop", Verb: "get"}, // a duplicate
		{Resource: "pods", Subresource: "log", Namespace: "shop", Verb: "get"},
		{Group: "apps", Resource: "deployments", Namespace: "web", Verb: "watch"},
		{Group: "example.com", Resource: "widgets", Verb: "list"},
	}
	set := Roles("shipsafe-web", "shipsafe-shop-web", in)
	if set.ClusterRole == nil || set.ClusterRole.Name != "shipsafe-shop-web" || set.ClusterRole.Kind != "ClusterRole" {
		t.Fatalf("ClusterRole %+v, want shipsafe-shop-web", set.ClusterRole)
	}
	if got := RuleText(set.ClusterRole.Rules[0]); got != `{apiGroups: ["example.com"], resources: ["widgets"], verbs: ["list"]}` || len(set.ClusterRole.Rules) != 1 {
		t.Errorf("ClusterRole rules %v", set.ClusterRole.Rules)
	}
	if len(set.Roles) != 2 || set.Roles[0].Namespace != "shop" || set.Roles[1].Namespace != "web" {
		t.Fatalf("Roles %+v, want one in shop and one in web", set.Roles)
	}
	var rules []string
	for _, r := range set.Roles[0].Rules {
		rules = append(rules, RuleText(r))
	}
	want := `{apiGroups: [""], resources: ["pods/log"], verbs: ["get"]}
{apiGroups: [""], resources: ["secrets"], verbs: ["get", "delete"]}`
	if got := strings.Join(rules, "\n"); got != want {
		t.Errorf("Role rules in shop:\n%s\nwant:\n%s", got, want)
	}
	if set.Roles[0].Name != "shipsafe-web" || set.Roles[0].Kind != "Role" || set.Roles[0].APIVersion != "rbac.authorization.k8s.io/v1" {
		t.Errorf("Role meta %+v", set.Roles[0].TypeMeta)
	}

	if none := Roles("a", "b", in[:1]); none.ClusterRole != nil {
		t.Errorf("a ClusterRole without cluster-wide permissions: %+v", none.ClusterRole)
	}
}

func TestMissingErrorNamesEachPermissionAndRule(t *testing.T) {
	t.Parallel()
	err := &MissingError{Release: "web", Missing: []Permission{
		{Resource: "events", Namespace: "shop", Verb: "list"},
		{Resource: "events", Namespace: "shop", Verb: "watch"},
		{Group: "example.com", Resource: "widgets", Verb: "patch"},
	}}
	for _, want := range []string{
		`release "web": missing permissions`, "nothing was changed",
		`cannot list events in namespace "shop"`,
		`cannot watch events in namespace "shop"`,
		`cannot patch widgets.example.com cluster-wide`,
		`Role rule in namespace "shop": {apiGroups: [""], resources: ["events"], verbs: ["list", "watch"]}`,
		`ClusterRole rule {apiGroups: ["example.com"], resources: ["widgets"], verbs: ["patch"]}`,
		"shipsafe rbac web",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%s", want, err)
		}
	}
}

func TestGrants(t *testing.T) {
	t.Parallel()
	rule := func(groups, resources, verbs []string, names ...string) authorizationv1.ResourceRule {
		return authorizationv1.ResourceRule{APIGroups: groups, Resources: resources, Verbs: verbs, ResourceNames: names}
	}
	s := func(v ...string) []string { return v }
	events := Permission{Resource: "events", Namespace: "shop", Verb: "list"}
	logs := Permission{Resource: "pods", Subresource: "log", Namespace: "shop", Verb: "get"}
	deploys := Permission{Group: "apps", Resource: "deployments", Namespace: "shop", Verb: "patch"}
	tests := []struct {
		name string
		rule authorizationv1.ResourceRule
		p    Permission
		want bool
	}{
		{"exact", rule(s(""), s("events"), s("list", "watch")), events, true},
		{"other verb", rule(s(""), s("events"), s("watch")), events, false},
		{"other group", rule(s("apps"), s("events"), s("list")), events, false},
		{"all of everything", rule(s("*"), s("*"), s("*")), deploys, true},
		{"resource names only", rule(s("apps"), s("deployments"), s("patch"), "web"), deploys, false},
		{"subresource", rule(s(""), s("pods/log"), s("get")), logs, true},
		{"the resource is not its subresource", rule(s(""), s("pods"), s("get")), logs, false},
		{"any resource's subresource", rule(s(""), s("*/log"), s("get")), logs, true},
		{"a subresource is not the resource", rule(s(""), s("pods/log"), s("list")), Permission{Resource: "pods", Namespace: "shop", Verb: "list"}, false},
	}
	for _, tc := range tests {
		if got := Grants(tc.rule, tc.p); got != tc.want {
			t.Errorf("%s: Grants = %v, want %v", tc.name, got, tc.want)
		}
	}
}
