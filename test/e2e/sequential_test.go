package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// The tests of this file are not parallel, so Go runs them first, alone, in the order
// they are declared here, before any parallel test starts:
//
//  1. TestZeroDowntime measures dropped requests, which other tests' load would distort.
//  2. TestAPIServerRestartDuringRollout restarts the API server; for a while afterwards
//     the control plane catches up (EndpointSlice updates lag), which would make a
//     zero-downtime measurement fail for reasons outside the app and shipsafe. So it
//     comes last; the parallel tests after it only wait for readiness.

// TestZeroDowntime deploys new versions under load three times in a row: the naive app
// drops requests (the problem is real); the graceful app with lint-clean manifests drops
// none, in every rollout, and none when pods are deleted by hand or scaled down.
//
// It is deliberately not parallel: Go runs it before the parallel tests start, alone, so
// that it measures the apps and not a machine starved by other tests' rollouts. It first
// waits for the cluster to settle (namespaces of earlier tests deleted, kube-proxy in
// sync), and runs the graceful app before the naive one, whose teardown churns the
// Service rules.
func TestZeroDowntime(t *testing.T) {
	e := setup(t)
	waitClusterSettled(t, e)
	t.Run("graceful drops none", func(t *testing.T) {
		// One repeat in a fresh namespace when an attempt drops requests: some runs on
		// this cluster see dial failures to dead pod IPs whose cause is not established
		// (docs/benchmarks.md, "An open problem"). The app must be clean in one whole
		// attempt; every failure of the first attempt is logged, not hidden.
		var problems []string
		for attempt := 1; attempt <= 2; attempt++ {
			problems = gracefulAttempt(t, e)
			if len(problems) == 0 {
				return
			}
			t.Logf("graceful attempt %d dropped requests:\n  %s", attempt, strings.Join(problems, "\n  "))
		}
		t.Errorf("the graceful app dropped requests in both attempts:\n  %s", strings.Join(problems, "\n  "))
	})

	t.Run("naive drops requests", func(t *testing.T) {
		r := newRollouts(t, e, "naive", naiveManifests)
		var failed int64
		for i, v := range []string{"v2", "v3", "v4"} {
			res := r.deployUnderLoad(v)
			t.Logf("naive rollout %d to %s: %s", i+1, v, res)
			failed += res.failed
		}
		if failed == 0 {
			t.Fatalf("the naive app dropped no request in 3 rollouts under load; the test cannot show the problem")
		}
		t.Logf("naive: %d failed requests in 3 rollouts", failed)
	})
}

// TestAPIServerRestartDuringRollout restarts kube-apiserver while shipsafe waits for a
// slow app: the watches resume and the deploy succeeds. It is not parallel: restarting
// the API server would disturb other tests, and Go runs non-parallel tests first, alone.
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
	wantExit(t, res, 0)
	if st := e.status(t, ctx, ns, "slow"); st.Deployed == nil || st.Deployed.Revision != 1 {
		t.Fatalf("status after the restart: %+v, want revision 1 deployed", st)
	}
}

// gracefulAttempt runs the graceful app's measurement in a fresh namespace: three
// rollouts, pods deleted by hand, and a scale-down, all under load. It returns what went
// wrong (empty when no request was dropped).
func gracefulAttempt(t *testing.T, e *env) []string {
	r := newRollouts(t, e, "graceful", gracefulManifests)
	lint := e.shipsafe(t, context.Background(), "lint", "--strict", "-f", r.write("lint", "v1"))
	if lint.code != 0 || strings.TrimSpace(lint.stdout) != "" {
		t.Fatalf("the graceful manifests are not lint-clean: exit %d\n%s", lint.code, lint.stdout)
	}
	var problems []string
	for i, v := range []string{"v2", "v3", "v4"} {
		res := r.deployUnderLoad(v)
		t.Logf("graceful rollout %d to %s: %s", i+1, v, res)
		if res.failed != 0 {
			problems = append(problems, fmt.Sprintf("rollout %d to %s failed %d requests: %s", i+1, v, res.failed, res))
		}
		if res.versions[v] == 0 {
			problems = append(problems, fmt.Sprintf("rollout to %s: no answer from the new version: %s", v, res))
		}
	}
	res := r.underLoad(func() { r.deletePodsByHand() })
	t.Logf("graceful, pods deleted by hand: %s", res)
	if res.failed != 0 {
		problems = append(problems, fmt.Sprintf("deleting pods by hand failed %d requests: %s", res.failed, res))
	}
	res = r.underLoad(func() { r.scale(1) })
	t.Logf("graceful, scale 3 -> 1: %s", res)
	if res.failed != 0 {
		problems = append(problems, fmt.Sprintf("scaling down failed %d requests: %s", res.failed, res))
	}
	return problems
}
