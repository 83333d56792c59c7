package e2e

import (
	"context"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/shipsafe/shipsafe/internal/clustertest"
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
