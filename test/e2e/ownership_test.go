package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// clusterRole renders a ClusterRole named name that reads ConfigMaps.
func clusterRole(name string) string {
	return fmt.Sprintf(`apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: %s
rules:
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get"]
`, name)
}

// clusterRoleOwner returns the release label and namespace annotation of ClusterRole
// name, and whether it exists.
func (e *env) clusterRoleOwner(t *testing.T, ctx context.Context, name string) (label, namespace string, ok bool) {
	t.Helper()
	cr, err := e.client.RbacV1().ClusterRoles().Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return "", "", false
	case err != nil:
		t.Fatalf("get ClusterRole %s: %v", name, err)
	}
	if cr.DeletionTimestamp != nil {
		return "", "", false
	}
	return cr.Labels["shipsafe.io/release"], cr.Annotations["shipsafe.io/release-namespace"], true
}

// TestOwnershipIsPerNamespace deploys release "web" in two namespaces, both with one
// cluster-scoped ClusterRole. Ownership is (release namespace, release name): the second
// deploy is refused (exit 2) naming the owner, uninstalling it leaves the first's
// ClusterRole; after the second adopts it, uninstalling the first leaves it too.
func TestOwnershipIsPerNamespace(t *testing.T) {
	t.Parallel()
	e := setup(t)
	staging := clustertest.Namespace(t, e.client)
	prod := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	role := "shipsafe-e2e-" + staging
	t.Cleanup(func() {
		_ = e.client.RbacV1().ClusterRoles().Delete(context.Background(), role, metav1.DeleteOptions{})
	})
	cfg := configMap("web-config", map[string]string{"color": "blue"})

	wantExit(t, e.deployWeb(t, ctx, staging, clusterRole(role), cfg), 0)
	if label, ns, _ := e.clusterRoleOwner(t, ctx, role); label != "web" || ns != staging {
		t.Errorf("ClusterRole owner after the first deploy: label %q, namespace annotation %q; want web, %s", label, ns, staging)
	}
	wantExit(t, e.deployWeb(t, ctx, prod, cfg), 0)

	r := e.deployWeb(t, ctx, prod, clusterRole(role), cfg)
	wantExit(t, r, 2)
	wantContains(t, "refusal", r.stderr, "ClusterRole "+role, "belongs to release "+staging+"/web", "--adopt")
	if label, ns, _ := e.clusterRoleOwner(t, ctx, role); label != "web" || ns != staging {
		t.Errorf("ClusterRole owner after the refused deploy: label %q, namespace %q; want web, %s", label, ns, staging)
	}

	wantExit(t, e.shipsafe(t, ctx, "-n", prod, "uninstall", "web"), 0)
	if _, _, ok := e.clusterRoleOwner(t, ctx, role); !ok {
		t.Fatalf("uninstall web -n %s deleted the ClusterRole of release %s/web", prod, staging)
	}

	// prod takes it over; now staging's uninstall must leave it to prod.
	r = e.shipsafe(t, ctx, "-n", prod, "deploy", "web", "--adopt", "-f", writeManifest(t, clusterRole(role), cfg))
	wantExit(t, r, 0)
	if label, ns, _ := e.clusterRoleOwner(t, ctx, role); label != "web" || ns != prod {
		t.Errorf("ClusterRole owner after --adopt: label %q, namespace %q; want web, %s", label, ns, prod)
	}
	r = e.shipsafe(t, ctx, "-n", staging, "uninstall", "web")
	wantExit(t, r, 0)
	wantContains(t, "uninstall output", r.stdout, "ClusterRole "+role, "belongs to release "+prod+"/web now")
	if _, _, ok := e.clusterRoleOwner(t, ctx, role); !ok {
		t.Fatalf("uninstall web -n %s deleted the ClusterRole that release %s/web adopted", staging, prod)
	}
	if e.exists(t, ctx, staging, "ConfigMap", "web-config") {
		t.Errorf("uninstall web -n %s left its own ConfigMap", staging)
	}
	wantExit(t, e.shipsafe(t, ctx, "-n", prod, "uninstall", "web"), 0)
	if _, _, ok := e.clusterRoleOwner(t, ctx, role); ok {
		t.Errorf("uninstall web -n %s left the ClusterRole it owned", prod)
	}
}

// TestDeleteChecksLiveOwner: release a creates ConfigMaps shared and pruned, release b
// adopts them. Neither a's prune (of pruned) nor a's uninstall (of shared) may delete
// them: every delete reads the live owner.
func TestDeleteChecksLiveOwner(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	shared := configMap("shared", map[string]string{"from": "a"})
	pruned := configMap("pruned", map[string]string{"from": "a"})
	own := configMap("a-only", map[string]string{"from": "a"})
	deploy := func(rel string, adopt bool, docs ...string) result {
		args := []string{"-n", ns, "deploy", rel, "-f", writeManifest(t, docs...)}
		if adopt {
			args = append(args, "--adopt")
		}
		return e.shipsafe(t, ctx, args...)
	}

	bShared, bPruned := configMap("shared", map[string]string{"from": "b"}), configMap("pruned", map[string]string{"from": "b"})
	wantExit(t, deploy("a", false, shared, pruned, own), 0)
	wantExit(t, deploy("b", true, bPruned), 0)

	// a drops "pruned" from its manifests: prune must leave b's object.
	r := deploy("a", false, shared, own)
	wantExit(t, r, 0)
	wantContains(t, "prune output", r.stdout, "ConfigMap "+ns+"/pruned", "belongs to release "+ns+"/b now")
	if !e.exists(t, ctx, ns, "ConfigMap", "pruned") {
		t.Errorf("a's prune deleted ConfigMap pruned, which release b adopted")
	}

	// b adopts "shared" too, which a's deployed revision still lists.
	wantExit(t, deploy("b", true, bShared, bPruned), 0)
	r = e.shipsafe(t, ctx, "-n", ns, "uninstall", "a")
	wantExit(t, r, 0)
	wantContains(t, "uninstall output", r.stdout, "ConfigMap "+ns+"/shared", "belongs to release "+ns+"/b now")
	for _, name := range []string{"shared", "pruned"} {
		cm, err := e.client.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Errorf("ConfigMap %s of release b after uninstall a: %v", name, err)
			continue
		}
		if cm.Labels["shipsafe.io/release"] != "b" || cm.Data["from"] != "b" {
			t.Errorf("ConfigMap %s after uninstall a: labels %v data %v; want b's", name, cm.Labels, cm.Data)
		}
	}
	if e.exists(t, ctx, ns, "ConfigMap", "a-only") {
		t.Errorf("uninstall a left its own ConfigMap a-only")
	}
	if strings.Contains(r.stdout, "deleted  ConfigMap "+ns+"/shared") {
		t.Errorf("uninstall a reports deleting b's ConfigMap")
	}
}
