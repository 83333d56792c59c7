package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	"github.com/shipsafe/shipsafe/internal/clustertest"
	"github.com/shipsafe/shipsafe/pkg/access"
)

// TestMissingEventsWatchIsNamed is the silent failure of issue 12: a ServiceAccount whose
// Role grants everything a one-Deployment deploy needs except list and watch on events.
// The deploy used to print nothing until its timeout, then blame the Deployment ("not
// observed yet") and roll back, with no word of permissions. It must stop before any
// change with exit 2, naming the missing verbs on events and the Role rule that grants
// them.
func TestMissingEventsWatchIsNamed(t *testing.T) {
	t.Parallel()
	e := setup(t)
	img := e.image(t, "naive", "e2e")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	all := []string{"get", "list", "watch", "create", "update", "patch", "delete"}
	kc := e.serviceAccountKubeconfig(t, ctx, ns, "deployer", []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"secrets", "configmaps", "services", "pods", "pods/log"}, Verbs: all},
		{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"get", "create"}},
		{APIGroups: []string{"apps"}, Resources: []string{"deployments", "replicasets"}, Verbs: all},
		{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: all},
		{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: all},
	})
	waitAllowed(t, ctx, kc, ns, "apps", "deployments", "patch")

	r := e.shipsafe(t, ctx, "--kubeconfig", kc, "-n", ns, "deploy", "web", "--timeout", "30s",
		"-f", writeManifest(t, workload{Name: "web", Image: img, Version: "v1"}.yaml()))
	wantExit(t, r, 2)
	wantContains(t, "missing permission error", r.stderr,
		"list events", "watch events", `namespace "`+ns+`"`, `resources: ["events"]`, "nothing was changed")
	e.wantNothingChanged(t, ctx, ns, "web")
}

// wantNothingChanged checks, with the admin client, that a refused deploy of rel left ns
// as it was: no record, no lock, no object of the release.
func (e *env) wantNothingChanged(t *testing.T, ctx context.Context, ns, rel string) {
	t.Helper()
	if recs := e.records(t, ctx, ns); len(recs) > 0 {
		t.Errorf("a refused deploy wrote records: %v", recs)
	}
	e.wantNoLease(t, ctx, ns, rel)
	e.wantManaged(t, ctx, ns, rel)
	for _, kind := range []string{"Deployment", "Service", "ConfigMap"} {
		if e.exists(t, ctx, ns, kind, "web") {
			t.Errorf("a refused deploy created %s web", kind)
		}
	}
}

// waitAllowed waits until the identity of kubeconfig may do verb on resource in ns.
func waitAllowed(t *testing.T, ctx context.Context, kubeconfig, ns, group, resource, verb string) {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatalf("load kubeconfig %s: %v", kubeconfig, err)
	}
	clustertest.WaitAllowed(t, ctx, cfg, ns, group, resource, verb)
}

// TestLeastPrivilegeFlow runs the whole life of a release (install, upgrade with a
// prune, rollback, uninstall) as a ServiceAccount bound to exactly the Role that
// `shipsafe rbac` prints for it. Then, for each rule of that Role, a ServiceAccount
// holding every rule but that one is refused by deploy with exit 2, before anything
// changes, naming each missing verb of the resource.
func TestLeastPrivilegeFlow(t *testing.T) {
	t.Parallel()
	e := setup(t)
	img := e.image(t, "naive", "e2e")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	app := func(version string) string {
		return workload{Name: "web", Image: img, Version: version, Service: true}.yaml()
	}
	v1 := writeManifest(t, app("v1"), configMap("web-config", map[string]string{"color": "blue"}))
	v2 := writeManifest(t, app("v2"))

	r := e.shipsafe(t, ctx, "-n", ns, "rbac", "web", "-f", v1)
	wantExit(t, r, 0)
	role := singleRole(t, r.stdout, ns)
	// The upgrade has a subset of v1's kinds: the same Role serves it.
	r2 := e.shipsafe(t, ctx, "-n", ns, "rbac", "web", "-f", v2)
	wantExit(t, r2, 0)
	if role2 := singleRole(t, r2.stdout, ns); len(role2.Rules) > len(role.Rules) {
		t.Fatalf("v2 needs more rules than v1:\n%s", r2.stdout)
	}

	// The parallel subtests run after this function returns and may wait for a free slot
	// long after it: each has its own deadline, counted from its start.
	t.Run("exactly the printed Role", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
		defer cancel()
		kc := e.serviceAccountKubeconfig(t, ctx, ns, "deployer", role.Rules)
		waitAllowed(t, ctx, kc, ns, "coordination.k8s.io", "leases", "create")
		sa := *e
		sa.kubeconfig = kc

		wantExit(t, sa.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-f", v1), 0)
		e.serves(t, ctx, ns, "web", "v1")
		r := sa.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-f", v2)
		wantExit(t, r, 0)
		wantContains(t, "upgrade output", r.stdout, "ConfigMap "+ns+"/web-config")
		e.serves(t, ctx, ns, "web", "v2")
		e.wantManaged(t, ctx, ns, "web", "Deployment/web", "Service/web")

		wantExit(t, sa.shipsafe(t, ctx, "-n", ns, "rollback", "web"), 0)
		e.serves(t, ctx, ns, "web", "v1")
		e.wantManaged(t, ctx, ns, "web", "ConfigMap/web-config", "Deployment/web", "Service/web")
		wantExit(t, sa.shipsafe(t, ctx, "-n", ns, "status", "web"), 0)
		if got := statuses(e.history(t, ctx, ns, "web")); got != "1:superseded 2:superseded 3:deployed" {
			t.Errorf("history after rollback: %s", got)
		}

		wantExit(t, sa.shipsafe(t, ctx, "-n", ns, "uninstall", "web"), 0)
		e.wantManaged(t, ctx, ns, "web")
		e.wantNoLease(t, ctx, ns, "web")
	})

	// Refused deploys change nothing, so they share one namespace of their own.
	refused := clustertest.Namespace(t, e.client)
	for i, rule := range role.Rules {
		t.Run("without "+strings.Join(rule.Resources, ","), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			rest := slices.Delete(slices.Clone(role.Rules), i, i+1)
			kc := e.serviceAccountKubeconfig(t, ctx, refused, fmt.Sprintf("without-%d", i), rest)
			probe := rest[0]
			waitAllowed(t, ctx, kc, refused, probe.APIGroups[0], probe.Resources[0], probe.Verbs[0])

			r := e.shipsafe(t, ctx, "--kubeconfig", kc, "-n", refused, "deploy", "web", "-f", v1)
			wantExit(t, r, 2)
			resource := rule.Resources[0]
			if g := rule.APIGroups[0]; g != "" {
				resource += "." + g
			}
			for _, verb := range rule.Verbs {
				wantContains(t, "missing permission error", r.stderr, fmt.Sprintf("cannot %s %s in namespace %q", verb, resource, refused))
			}
			wantContains(t, "missing permission error", r.stderr, access.RuleText(rule), "nothing was changed")
			e.wantNothingChanged(t, ctx, refused, "web")
		})
	}
}

// singleRole decodes the output of `shipsafe rbac`, which must be one Role in ns.
func singleRole(t *testing.T, out, ns string) rbacv1.Role {
	t.Helper()
	docs := strings.Split(strings.TrimPrefix(out, "---\n"), "\n---\n")
	if len(docs) != 1 {
		t.Fatalf("rbac printed %d documents, want one Role:\n%s", len(docs), out)
	}
	var role rbacv1.Role
	if err := yaml.UnmarshalStrict([]byte(docs[0]), &role); err != nil {
		t.Fatalf("decode the printed Role: %v\n%s", err, out)
	}
	if role.Kind != "Role" || role.Namespace != ns || len(role.Rules) == 0 {
		t.Fatalf("rbac printed %s %s/%s with %d rules, want a Role in %s", role.Kind, role.Namespace, role.Name, len(role.Rules), ns)
	}
	return role
}
