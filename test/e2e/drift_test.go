package e2e

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// TestDriftIsReconciled changes two fields by hand (scales the Deployment, edits a
// ConfigMap value) and deploys the same manifests again.
//
// A change made with a plain update (kubectl scale, kubectl edit, a controller) moves
// the field's ownership to that manager, so server-side apply sees a conflict. Without
// --force-conflicts the deploy therefore stops in its dry run with exit 2, names each
// field and its manager and says to use --force-conflicts; nothing is changed or
// recorded. With --force-conflicts the fields are taken back and reconciled.
func TestDriftIsReconciled(t *testing.T) {
	t.Parallel()
	e := setup(t)
	img := e.image(t, "naive", "e2e")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	manifest := writeManifest(t,
		workload{Name: "web", Image: img, Version: "v1", Replicas: 2}.yaml(),
		configMap("web-config", map[string]string{"color": "blue"}),
	)
	wantExit(t, e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-f", manifest), 0)

	// The hand changes, under a field manager of their own.
	const byHand = "ops-by-hand"
	scale, err := e.client.AppsV1().Deployments(ns).GetScale(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get scale: %v", err)
	}
	scale.Spec.Replicas = 5
	if _, err := e.client.AppsV1().Deployments(ns).UpdateScale(ctx, "web", scale, metav1.UpdateOptions{FieldManager: byHand}); err != nil {
		t.Fatalf("scale to 5: %v", err)
	}
	cm, err := e.client.CoreV1().ConfigMaps(ns).Get(ctx, "web-config", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get configmap: %v", err)
	}
	cm.Data["color"] = "red"
	if _, err := e.client.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{FieldManager: byHand}); err != nil {
		t.Fatalf("edit configmap: %v", err)
	}
	drifted := func() (int32, string) {
		t.Helper()
		d, err := e.client.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get deployment: %v", err)
		}
		c, err := e.client.CoreV1().ConfigMaps(ns).Get(ctx, "web-config", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get configmap: %v", err)
		}
		return *d.Spec.Replicas, c.Data["color"]
	}

	// Without --force-conflicts: refused before anything changes.
	r := e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-f", manifest)
	wantExit(t, r, 2)
	wantContains(t, "conflict error", r.stderr,
		"apps/Deployment "+ns+"/web", ".spec.replicas", "ConfigMap "+ns+"/web-config", ".data.color", byHand, "--force-conflicts")
	if replicas, color := drifted(); replicas != 5 || color != "red" {
		t.Errorf("a refused deploy changed the cluster: replicas %d, color %q", replicas, color)
	}
	if got := statuses(e.history(t, ctx, ns, "web")); got != "1:deployed" {
		t.Errorf("a refused deploy wrote a record: history %s", got)
	}

	// With --force-conflicts: the manifest's values are back.
	r = e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-f", manifest, "--force-conflicts")
	wantExit(t, r, 0)
	if replicas, color := drifted(); replicas != 2 || color != "blue" {
		t.Errorf("after deploying again: replicas %d, color %q; want 2 and blue", replicas, color)
	}
	e.wantConsistent(t, ctx, ns, "web")
}
