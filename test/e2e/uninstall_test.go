package e2e

import (
	"context"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// TestUninstallRetry interrupts an uninstall half way (its user may delete ConfigMaps
// and Services but not Deployments), then runs it again as an admin, as the error
// advises: the retry deletes what the first attempt could not and records the release
// as uninstalled.
func TestUninstallRetry(t *testing.T) {
	t.Parallel()
	e := setup(t)
	img := e.image(t, "naive", "e2e")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	wantExit(t, e.deployWeb(t, ctx, ns,
		workload{Name: "web", Image: img, Version: "v1", Service: true}.yaml(),
		configMap("web-config", map[string]string{"color": "blue"})), 0)

	limited := e.serviceAccountKubeconfig(t, ctx, ns, "deleter", []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list", "watch", "update", "patch"}},
		{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"get", "list", "watch", "create", "update", "patch", "delete"}},
		{APIGroups: []string{""}, Resources: []string{"configmaps", "services"}, Verbs: []string{"get", "list", "delete"}},
		{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"get", "list", "watch"}},
	})
	r := e.shipsafe(t, ctx, "--kubeconfig", limited, "-n", ns, "uninstall", "web")
	if r.code == 0 {
		t.Fatal("uninstall without permission to delete the Deployment succeeded")
	}
	wantContains(t, "partial uninstall error", r.stderr, "delete apps/Deployment "+ns+"/web", "forbidden", "run uninstall again")
	e.wantManaged(t, ctx, ns, "web", "Deployment/web")

	r = e.shipsafe(t, ctx, "-n", ns, "uninstall", "web")
	wantExit(t, r, 0)
	wantContains(t, "retried uninstall output", r.stdout, "deleted  apps/Deployment "+ns+"/web")
	e.wantManaged(t, ctx, ns, "web")
	if got := statuses(e.history(t, ctx, ns, "web")); got != "1:uninstalled" {
		t.Errorf("history after the retried uninstall: %s, want 1:uninstalled", got)
	}
	e.wantNoLease(t, ctx, ns, "web")
}
