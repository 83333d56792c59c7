package e2e

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// TestDriftIsReconciled changes two fields by hand (scales the Deployment, edits a
// ConfigMap value) and deploys the same manifests again: the deploy takes the fields
// back, says so, and the manifest's values are restored.
//
// Then another tool takes a field with server-side apply. That is a real conflict, not
// drift: without --force-conflicts the deploy stops in its dry run with exit 2, names the
// field, its manager and --force-conflicts, and changes and records nothing. With
// --force-conflicts the field is taken back.
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

	// Changes made by hand are drift: the next plain deploy repairs them.
	r := e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-f", manifest)
	wantExit(t, r, 0)
	wantContains(t, "takeover warning", r.stdout, "took back", ".spec.replicas", ".data.color", byHand)
	if replicas, color := drifted(); replicas != 2 || color != "blue" {
		t.Errorf("after deploying again: replicas %d, color %q; want 2 and blue", replicas, color)
	}

	// Another tool applying the field is a conflict: refused before anything changes.
	const otherTool = "other-tool"
	if _, err := e.client.CoreV1().ConfigMaps(ns).Apply(ctx,
		corev1ac.ConfigMap("web-config", ns).WithData(map[string]string{"color": "green"}),
		metav1.ApplyOptions{FieldManager: otherTool, Force: true}); err != nil {
		t.Fatalf("apply as %s: %v", otherTool, err)
	}
	r = e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-f", manifest)
	wantExit(t, r, 2)
	wantContains(t, "conflict error", r.stderr, "ConfigMap "+ns+"/web-config", ".data.color", otherTool, "--force-conflicts")
	if _, color := drifted(); color != "green" {
		t.Errorf("a refused deploy changed the cluster: color %q, want green", color)
	}
	if got := statuses(e.history(t, ctx, ns, "web")); got != "1:superseded 2:deployed" {
		t.Errorf("a refused deploy wrote a record: history %s", got)
	}

	// With --force-conflicts: the manifest's value is back.
	r = e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-f", manifest, "--force-conflicts")
	wantExit(t, r, 0)
	if replicas, color := drifted(); replicas != 2 || color != "blue" {
		t.Errorf("after deploying with --force-conflicts: replicas %d, color %q; want 2 and blue", replicas, color)
	}
	e.wantConsistent(t, ctx, ns, "web")
}
