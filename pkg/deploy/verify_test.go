package deploy_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/deploy"
	"github.com/shipsafe/shipsafe/pkg/deploy/deploytest"
	"github.com/shipsafe/shipsafe/pkg/health"
	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/track"
	"github.com/shipsafe/shipsafe/pkg/verify"
)

// rolloutChecks is a Verification whose one check is sampled during the rollout too.
func rolloutChecks(during bool) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "shipsafe.io/v1alpha1", "kind": "Verification", "metadata": map[string]any{"name": "web"},
		"spec": map[string]any{"for": "1m", "checks": []any{map[string]any{
			"name": "a", "duringRollout": during, "http": map[string]any{"service": "s", "path": "/"}}}},
	}}
}

// fakeVerifier is a deploy.Verifier with both phases replaceable.
type fakeVerifier struct {
	mu       sync.Mutex
	rollouts int
	windows  []verify.Request
	rollout  func(ctx context.Context) *verify.Verdict
}

func (f *fakeVerifier) Rollout(ctx context.Context, req verify.Request) (*verify.Verdict, error) {
	f.mu.Lock()
	f.rollouts++
	f.mu.Unlock()
	return f.rollout(ctx), nil
}

func (f *fakeVerifier) Run(_ context.Context, req verify.Request) (*verify.Verdict, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.windows = append(f.windows, req)
	return &verify.Verdict{Passed: true}, nil
}

// TestBreachDuringRolloutStopsTracking: a check that fails during the rollout cancels
// the wait for readiness at once and fails the deploy with its evidence, rolled back;
// the window does not run.
func TestBreachDuringRolloutStopsTracking(t *testing.T) {
	t.Parallel()
	e := deploytest.New()
	seed(t, e, v1())
	var tracks int
	var cause error
	e.Tracker.RunFunc = func(ctx context.Context, objs []*unstructured.Unstructured, _ func(track.Event)) (track.Result, error) {
		tracks++
		if tracks > 1 { // the rollback's
			return deploytest.Result(objs, health.Ready), nil
		}
		select { // the rollout never ends on its own
		case <-ctx.Done():
			cause = context.Cause(ctx)
			return deploytest.Result(objs, health.Progressing), ctx.Err()
		case <-time.After(time.Minute):
			t.Error("tracking was not stopped by the breach")
			return deploytest.Result(objs, health.Ready), nil
		}
	}
	v := &fakeVerifier{rollout: func(context.Context) *verify.Verdict {
		return &verify.Verdict{DuringRollout: true, Interval: time.Second, Window: time.Minute, Checks: []verify.CheckResult{{
			Name: "a", Type: "http", Samples: 1, RolloutSamples: 1, Failures: 1, Failed: true,
			Bad: []verify.Sample{{Check: "a", Outcome: verify.Fail, Value: "status 503", Threshold: "status 200", DuringRollout: true}},
		}}}
	}}
	e.Config.Verifier = v
	_, err := deploy.NewDeploy(e.Config).Run(context.Background(), deploy.DeployOptions{
		Release: rel, Namespace: ns, Objects: v2Objects(), Verification: rolloutChecks(true),
	})
	if got := outcome(err); got != "rolled back to 1" {
		t.Fatalf("outcome %q (%v), want rolled back to 1", got, err)
	}
	if cause == nil || !strings.Contains(cause.Error(), "failed during the rollout") {
		t.Errorf("tracking stopped by %v, want the breach", cause)
	}
	if !strings.Contains(err.Error(), "before every object was ready: check a (http) failed during the rollout: value status 503") {
		t.Errorf("error %q does not give the breach", err)
	}
	if len(v.windows) != 0 {
		t.Errorf("the window ran %d times after a breach during the rollout", len(v.windows))
	}
	if got := history(t, e); got != "1:deployed 2:rolled-back" {
		t.Errorf("history %q", got)
	}
	revs, _ := e.Store.Store.History(context.Background(), rel)
	if r := revs[len(revs)-1]; r.Verified == nil || r.Verified.Passed || !strings.Contains(strings.Join(r.Evidence, "\n"), "during the rollout") {
		t.Errorf("revision 2 records verified %+v, evidence %q: want the failed verdict during the rollout", r.Verified, r.Evidence)
	}
}

// TestRolloutCountsGoToTheWindow: sampling during the rollout ends when every object is
// ready, and the window carries its verdict on; without a check marked duringRollout
// nothing is sampled before ready.
func TestRolloutCountsGoToTheWindow(t *testing.T) {
	t.Parallel()
	for _, during := range []bool{true, false} {
		e := deploytest.New()
		seed(t, e, v1())
		rollout := &verify.Verdict{Passed: true, DuringRollout: true}
		v := &fakeVerifier{rollout: func(ctx context.Context) *verify.Verdict {
			<-ctx.Done() // until every object is ready
			return rollout
		}}
		e.Config.Verifier = v
		_, err := deploy.NewDeploy(e.Config).Run(context.Background(), deploy.DeployOptions{
			Release: rel, Namespace: ns, Objects: v2Objects(), Verification: rolloutChecks(during),
		})
		if err != nil {
			t.Fatalf("duringRollout %v: %v", during, err)
		}
		wantRollouts, wantCarried := 0, (*verify.Verdict)(nil)
		if during {
			wantRollouts, wantCarried = 1, rollout
		}
		if v.rollouts != wantRollouts || len(v.windows) != 1 || v.windows[0].Rollout != wantCarried {
			t.Errorf("duringRollout %v: %d rollouts, windows %+v; want %d, and one window carrying on %v", during, v.rollouts, v.windows, wantRollouts, wantCarried)
		}
		if got := history(t, e); got != "1:superseded 2:deployed" {
			t.Errorf("history %q", got)
		}
	}
}

// TestRollbackSamplesNothingDuringItsRollout: a rollback's rollout replaces the version
// being left, whose errors its checks would see; they run over the window alone.
func TestRollbackSamplesNothingDuringItsRollout(t *testing.T) {
	t.Parallel()
	e := deploytest.New()
	revs := v1()
	revs[0].Verification = rolloutChecks(true)
	revs[0].Status = release.StatusSuperseded
	revs = append(revs, &release.Revision{Number: 2, Status: release.StatusDeployed, Objects: v2Objects()})
	seed(t, e, revs)
	v := &fakeVerifier{rollout: func(context.Context) *verify.Verdict {
		t.Error("a rollback sampled its checks during the rollout")
		return nil
	}}
	e.Config.Verifier = v
	if _, err := deploy.NewRollback(e.Config).Run(context.Background(), deploy.RollbackOptions{Release: rel, Namespace: ns, To: 1}); err != nil {
		t.Fatal(err)
	}
	if len(v.windows) != 1 || v.windows[0].Rollout != nil {
		t.Errorf("windows %+v: want one, carrying no rollout", v.windows)
	}
}
