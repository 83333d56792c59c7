package e2e

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// TestAPIServerRestartDuringRollout is not parallel, so Go runs it first, alone, before
// any parallel test starts: restarting the API server would disturb other tests.

// TestAPIServerRestartDuringRollout restarts kube-apiserver while shipsafe waits for a
// slow app: the watches resume and the deploy succeeds, or, when the outage outlasts the
// lock's renew deadline, it stops as lock lost and the next deploy finishes the release.
// It is not parallel: restarting the API server would disturb other tests, and Go runs
// non-parallel tests first, alone.
func TestAPIServerRestartDuringRollout(t *testing.T) {
	e := setup(t)
	img := e.image(t, "slowstart", "v1")
	ns := clustertest.Namespace(t, e.client)
	manifest := writeManifest(t, workload{Name: "slow", Image: img, Version: "v1", Replicas: 2, ReadyAfter: 20}.yaml())
	p := e.start(t, "-n", ns, "deploy", "slow", "-f", manifest, "--timeout", "3m")
	p.waitLine("waiting for", time.Minute)
	time.Sleep(2 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	restart := exec.CommandContext(ctx, "go", "run", "./cmd/localcluster", "restart", "kube-apiserver")
	restart.Dir = filepath.Join(e.repo, "test", "cluster")
	if out, err := restart.CombinedOutput(); err != nil {
		t.Fatalf("restart kube-apiserver: %v\n%s", err, out)
	}
	res := p.wait(2 * time.Minute)
	// An outage longer than the lock's renew deadline makes the run stop as "lock lost"
	// (exit 5) without writing, by design (fencing); the next deploy then completes the
	// revision alone. Either way the release ends deployed at revision 1.
	want := 1
	if res.code == 5 {
		// The next holder recovers the interrupted install, then deploys revision 2. It
		// waits for the lost lock to expire (unrenewed for its TTL): until then the lease
		// names the stopped run, which could not release it while the API server was down.
		res = e.shipsafe(t, ctx, "-n", ns, "deploy", "slow", "-f", manifest, "--timeout", "3m", "--lock-wait", "1m")
		want = 2
	}
	wantExit(t, res, 0)
	if st := e.status(t, ctx, ns, "slow"); st.Deployed == nil || st.Deployed.Revision != want || st.Latest == nil || st.Latest.Revision != want {
		t.Fatalf("status after the restart: %+v, want revision %d deployed and latest", st, want)
	}
}
