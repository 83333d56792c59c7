package e2e

import (
	"context"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// TestSIGTERMAfterSIGINTKeepsRollingBack sends what a CI runner escalates with: SIGINT,
// then SIGTERM while the rollback waits for the restored pods. The SIGTERM is the same
// cancellation, not an order to give up: the rollback goes on until revision 1 is ready
// again, and the process exits 1 (restored), not 3.
func TestSIGTERMAfterSIGINTKeepsRollingBack(t *testing.T) {
	t.Parallel()
	e := setup(t)
	slow := e.image(t, "slowstart", "e2e")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	// Recreate with a slow app: the rollback has to wait ~8 s for a new pod of revision 1.
	v1 := workload{Name: "web", Image: slow, Version: "v1", Replicas: 1, ReadyAfter: 8, Recreate: true}
	wantExit(t, e.deployWeb(t, ctx, ns, v1.yaml()), 0)

	v2 := workload{Name: "web", Image: slow, Version: "v2", Replicas: 1, ReadyAfter: 120, Recreate: true}
	p := e.start(t, "-n", ns, "deploy", "web", "-f", writeManifest(t, v2.yaml()))
	p.waitLine("waiting for", time.Minute)
	waitReplaced(t, ctx, e, ns, "web")
	p.signal(syscall.SIGINT)
	p.waitLine("rolling back to revision 1", time.Minute)
	p.signal(syscall.SIGTERM)
	r := p.wait(2 * time.Minute)
	wantExit(t, r, 1)
	wantContains(t, "output", r.stdout, "rolled back to revision 1: all objects ready")

	st := e.wantConsistent(t, ctx, ns, "web")
	if st.Latest == nil || st.Latest.Revision != 2 || st.Latest.Status != "rolled-back" || st.Latest.RolledBackTo != 1 {
		t.Fatalf("status: latest = %+v, want revision 2 rolled-back to 1", st.Latest)
	}
	wantContains(t, "revision 2 reason", st.Latest.Reason, "interrupted")
	e.serves(t, ctx, ns, "web", "v1")
}

// waitReplaced waits until the Recreate rollout of Deployment name has replaced the old
// pods with updated ones that are not ready, so that a rollback must start new pods of
// the old revision and wait for them.
func waitReplaced(t *testing.T, ctx context.Context, e *env, ns, name string) {
	t.Helper()
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		d, err := e.client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return d.Status.ObservedGeneration == d.Generation && d.Status.UpdatedReplicas == d.Status.Replicas &&
			d.Status.Replicas > 0 && d.Status.ReadyReplicas == 0, nil
	})
	if err != nil {
		t.Fatalf("the new revision's pods never replaced the old ones of Deployment %s: %v", name, err)
	}
}
