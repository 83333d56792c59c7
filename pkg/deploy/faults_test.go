package deploy_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/apply"
	"github.com/shipsafe/shipsafe/pkg/deploy"
	"github.com/shipsafe/shipsafe/pkg/deploy/deploytest"
	"github.com/shipsafe/shipsafe/pkg/health"
	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/release/store"
	"github.com/shipsafe/shipsafe/pkg/track"
	"github.com/shipsafe/shipsafe/pkg/verify"
)

// The steps of a deploy at which TestFaultAtEachStep injects a fault.
const (
	stepBeforeLock  = "before the lock"
	stepPending     = "after the pending record"
	stepApply       = "during apply"
	stepTrack       = "during tracking"
	stepVerify      = "during verification"
	stepPrune       = "during prune"
	stepFinalRecord = "during the final record write"
	stepRollback    = "during the rollback's wait"
)

// faultRig wires the fakes of an Env so that a fault fires once, at one step of a deploy
// of v2 (a=2, c=2, with checks) over v1 (a=1, b=1), and models the lock's write fence:
// once the lock is lost, every write to the cluster or the store is refused.
type faultRig struct {
	e     *deploytest.Env
	at    string
	fault string // "signal" or "lease lost"
	// cancel is the run's signal.
	cancel context.CancelFunc

	mu       sync.Mutex
	fired    bool
	lock     *deploytest.Lock
	applies  int
	tracks   int
	atFault  string // history and live objects when the fault fired
	notes    []string
	failures []string
}

// fencedStore refuses writes once the rig's lock is lost, and calls the rig around them.
type fencedStore struct {
	store.Store
	r *faultRig
}

func (s *fencedStore) Create(ctx context.Context, rev *release.Revision) error {
	if err := s.r.fence(); err != nil {
		return err
	}
	if err := s.Store.Create(ctx, rev); err != nil {
		return err
	}
	if rev.Number == 2 {
		s.r.step(ctx, stepPending, false)
	}
	return nil
}

func (s *fencedStore) Update(ctx context.Context, rev *release.Revision) error {
	if rev.Number == 2 && rev.Status == release.StatusDeployed {
		s.r.step(ctx, stepFinalRecord, false)
	}
	if err := s.r.fence(); err != nil {
		return err
	}
	return s.Store.Update(ctx, rev)
}

func (s *fencedStore) Delete(ctx context.Context, name string, number int) error {
	if err := s.r.fence(); err != nil {
		return err
	}
	return s.Store.Delete(ctx, name, number)
}

func newFaultRig(t *testing.T, at, fault string, cancel context.CancelFunc) *faultRig {
	e := deploytest.New()
	seed(t, e, v1())
	r := &faultRig{e: e, at: at, fault: fault, cancel: cancel}
	e.Config.Store = &fencedStore{Store: e.Store, r: r}
	e.Locker.AcquireFunc = func(ctx context.Context, _, _ string, _ time.Duration) (deploy.Lock, error) {
		r.mu.Lock()
		r.lock = deploytest.NewLock()
		lock := r.lock
		r.mu.Unlock()
		r.step(ctx, stepBeforeLock, false)
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("wait for the lock: %w", err)
		}
		return lock, nil
	}
	e.Cluster.ApplyFunc = func(ctx context.Context, objs []*unstructured.Unstructured, opts apply.Options) ([]*unstructured.Unstructured, error) {
		if opts.DryRun {
			return e.Cluster.ApplyObjects(ctx, objs, opts)
		}
		if err := r.fence(); err != nil {
			return nil, err
		}
		r.mu.Lock()
		r.applies++
		first := r.applies == 1
		r.mu.Unlock()
		if !first || len(objs) < 2 {
			return e.Cluster.ApplyObjects(ctx, objs, opts)
		}
		// Revision 2's apply: one object, the fault, then the others.
		out, err := e.Cluster.ApplyObjects(ctx, objs[:1], opts)
		if err != nil {
			return out, err
		}
		r.step(ctx, stepApply, true)
		if err := r.fence(); err != nil {
			return out, err
		}
		rest, err := e.Cluster.ApplyObjects(ctx, objs[1:], opts)
		return append(out, rest...), err
	}
	e.Cluster.DeleteFunc = func(ctx context.Context, objs []*unstructured.Unstructured, opts apply.DeleteOptions) ([]*unstructured.Unstructured, error) {
		r.mu.Lock()
		rollingBack := r.tracks > 1 || r.at == stepRollback
		r.mu.Unlock()
		if !rollingBack {
			r.step(ctx, stepPrune, true)
		}
		if err := r.fence(); err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("delete: %w", err)
		}
		return e.Cluster.DeleteObjects(ctx, objs, opts)
	}
	e.Tracker.RunFunc = func(ctx context.Context, objs []*unstructured.Unstructured, _ func(track.Event)) (track.Result, error) {
		r.mu.Lock()
		r.tracks++
		n := r.tracks
		r.mu.Unlock()
		switch {
		case n == 1 && r.at == stepRollback:
			return deploytest.Failed(objs, key("c"), "CrashLoopBackOff", "exit 1"), nil
		case n == 1:
			r.step(ctx, stepTrack, true)
		default:
			r.step(ctx, stepRollback, true)
		}
		if err := ctx.Err(); err != nil {
			return deploytest.Result(objs, health.Progressing), err
		}
		return deploytest.Result(objs, health.Ready), nil
	}
	e.Config.Verifier = verifierFunc(func(ctx context.Context, req verify.Request) (*verify.Verdict, error) {
		r.step(ctx, stepVerify, true)
		if ctx.Err() != nil {
			return &verify.Verdict{Interrupted: "stopped"}, nil
		}
		return &verify.Verdict{Passed: true}, nil
	})
	return r
}

// verifierFunc is a deploy.Verifier.
type verifierFunc func(ctx context.Context, req verify.Request) (*verify.Verdict, error)

func (f verifierFunc) Run(ctx context.Context, req verify.Request) (*verify.Verdict, error) {
	return f(ctx, req)
}

// Rollout samples no check during the rollout.
func (f verifierFunc) Rollout(context.Context, verify.Request) (*verify.Verdict, error) {
	return nil, nil
}

// lost reports whether the lock was lost.
func (r *faultRig) lost() bool {
	r.mu.Lock()
	lock := r.lock
	r.mu.Unlock()
	if lock == nil {
		return false
	}
	select {
	case <-lock.Lost():
		return true
	default:
		return false
	}
}

// fence refuses a write once the lock is lost, as kube.Fence does.
func (r *faultRig) fence() error {
	if r.lost() {
		return &release.LostError{Release: rel, Reason: "its renewals failed (test)"}
	}
	return nil
}

// step fires the fault when step is the rig's, once. With wait, the work that called it
// runs under the run's context, which the fault must end: step waits (a bounded time)
// for ctx to end and notes a failure if it does not.
func (r *faultRig) step(ctx context.Context, step string, wait bool) {
	r.mu.Lock()
	if r.fired || step != r.at {
		r.mu.Unlock()
		return
	}
	r.fired = true
	lock := r.lock
	r.mu.Unlock()
	switch r.fault {
	case "signal":
		r.cancel()
		wait = wait && step != stepRollback // the rollback outlives a signal
	case "lease lost":
		lock.Lose()
	}
	if wait {
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Second):
			r.mu.Lock()
			r.failures = append(r.failures, fmt.Sprintf("%s %s: the work went on after the fault", r.fault, step))
			r.mu.Unlock()
		}
	}
	r.mu.Lock()
	r.atFault = r.state()
	r.mu.Unlock()
}

// state renders the store's history and the live objects.
func (r *faultRig) state() string {
	revs, _ := r.e.Store.Store.History(context.Background(), rel)
	var h []string
	for _, rv := range revs {
		h = append(h, fmt.Sprintf("%d:%s", rv.Number, rv.Status))
	}
	return strings.Join(h, " ") + " | " + live(r.e)
}

// checks is a Verification with one check, so that a deploy has a verification step.
func checks() *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "shipsafe.io/v1alpha1", "kind": "Verification", "metadata": map[string]any{"name": "web"},
		"spec": map[string]any{"for": "1m", "checks": []any{map[string]any{"name": "a", "http": map[string]any{"service": "s", "path": "/"}}}},
	}}
}

// v2Objects are the objects of the faulted revision: a changed, b dropped, c new.
func v2Objects() []*unstructured.Unstructured {
	return []*unstructured.Unstructured{deploytest.ConfigMap("a", "2"), deploytest.ConfigMap("c", "2")}
}

// TestFaultAtEachStep injects a signal and a lost lease at each step of an upgrade and
// checks the outcome, the records and the cluster: a signal rolls back until the
// revision is ready, and after that lets it finish; a lost lease stops the run at once
// with nothing written after the loss, leaving the revision pending. Either way the next
// deploy succeeds on its own and leaves no revision pending.
func TestFaultAtEachStep(t *testing.T) {
	t.Parallel()
	const unchanged = "1:deployed | a=1 b=1"
	tests := []struct {
		at, fault string
		want      string // outcome
		// wantState is history | live objects after the run ("" for lease lost: as at
		// the loss, with revision 2 pending once recorded).
		wantState string
	}{
		{stepBeforeLock, "signal", "restored", unchanged},
		{stepPending, "signal", "rolled back to 1", "1:deployed 2:rolled-back | a=1 b=1"},
		{stepApply, "signal", "rolled back to 1", "1:deployed 2:rolled-back | a=1 b=1"},
		{stepTrack, "signal", "rolled back to 1", "1:deployed 2:rolled-back | a=1 b=1"},
		{stepVerify, "signal", "rolled back to 1", "1:deployed 2:rolled-back | a=1 b=1"},
		// Ready: the revision is deployed; what the signal kept from being pruned is
		// recorded for the next deploy.
		{stepPrune, "signal", "ok", "1:superseded 2:deployed | a=2 b=1 c=2"},
		{stepFinalRecord, "signal", "ok", "1:superseded 2:deployed | a=2 c=2"},
		{stepRollback, "signal", "rolled back to 1", "1:deployed 2:rolled-back | a=1 b=1"},
		{stepBeforeLock, "lease lost", "lock lost", unchanged},
		{stepPending, "lease lost", "lock lost", ""},
		{stepApply, "lease lost", "lock lost", ""},
		{stepTrack, "lease lost", "lock lost", ""},
		{stepVerify, "lease lost", "lock lost", ""},
		{stepPrune, "lease lost", "lock lost", ""},
		{stepFinalRecord, "lease lost", "lock lost", ""},
		{stepRollback, "lease lost", "lock lost", ""},
	}
	for _, tt := range tests {
		t.Run(tt.fault+" "+tt.at, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			r := newFaultRig(t, tt.at, tt.fault, cancel)
			_, err := deploy.NewDeploy(r.e.Config).Run(ctx, deploy.DeployOptions{
				Release: rel, Namespace: ns, Objects: v2Objects(), Verification: checks(),
			})
			if !r.fired {
				t.Fatalf("the fault never fired at %q (err %v)", tt.at, err)
			}
			for _, f := range r.failures {
				t.Error(f)
			}
			if got := outcome(err); got != tt.want {
				t.Fatalf("outcome %q (%v), want %q", got, err, tt.want)
			}
			want := tt.wantState
			if want == "" {
				want = r.atFault // nothing written after the loss
				if !strings.Contains(want, "2:pending") && tt.at != stepBeforeLock {
					t.Errorf("at the loss the state was %q: revision 2 should be pending", want)
				}
			}
			if got := r.state(); got != want {
				t.Errorf("state %q, want %q", got, want)
			}
			if tt.at == stepPrune && tt.fault == "signal" {
				revs, _ := r.e.Store.Store.History(context.Background(), rel)
				if u := revs[len(revs)-1].Unpruned; len(u) != 1 || u[0].Name != "b" {
					t.Errorf("revision 2 unpruned %+v, want b", u)
				}
			}
			nextDeployRecovers(t, r.e)
		})
	}
}

// nextDeployRecovers runs a healthy deploy of v2 on e's store and cluster and checks
// that it succeeds and leaves history with nothing pending, revision 3 deployed, and the
// cluster at v2.
func nextDeployRecovers(t *testing.T, e *deploytest.Env) {
	t.Helper()
	next := deploytest.New()
	next.Config.Store, next.Config.Cluster = e.Store.Store, e.Cluster
	e.Cluster.ApplyFunc, e.Cluster.DeleteFunc = nil, nil
	_, err := deploy.NewDeploy(next.Config).Run(context.Background(), deploy.DeployOptions{
		Release: rel, Namespace: ns, Objects: v2Objects(),
	})
	if err != nil {
		t.Fatalf("next deploy: %v", err)
	}
	revs, err := e.Store.Store.History(context.Background(), rel)
	if err != nil {
		t.Fatal(err)
	}
	last := revs[len(revs)-1]
	for _, rv := range revs {
		if rv.Status == release.StatusPending || rv.Status == release.StatusDeployed && rv != last {
			t.Errorf("after the next deploy revision %d is %s (history %s)", rv.Number, rv.Status, history(t, e))
		}
	}
	if last.Status != release.StatusDeployed || live(e) != "a=2 c=2" {
		t.Errorf("after the next deploy: history %s, live %q; want the last revision deployed, a=2 c=2", history(t, e), live(e))
	}
}

// TestRecordWriteFailsAtEachStep fails each record write of an upgrade (and of its
// rollback) once, permanently (the store's own retries gave up), and checks what the
// run reports, what the records say, and that the next deploy recovers.
func TestRecordWriteFailsAtEachStep(t *testing.T) {
	t.Parallel()
	is := func(number int, status release.Status, progress func(*release.Progress) bool) func(string, *release.Revision) bool {
		return func(op string, r *release.Revision) bool {
			if op != "update" || r.Number != number || r.Status != status {
				return false
			}
			return progress == nil || r.Progress != nil && progress(r.Progress)
		}
	}
	tests := []struct {
		name      string
		write     func(op string, r *release.Revision) bool
		failTrack bool
		adopt     bool
		want      string
		wantState string
		warning   string
	}{
		{name: "pending record", write: func(op string, r *release.Revision) bool { return op == "create" && r.Number == 2 },
			want: "error", wantState: "1:deployed | a=1 b=1"},
		// Written only by a revision that adopts (recovery needs its resourceVersions
		// to put adopted objects back): c exists, of no release, and is adopted.
		{name: "applied checkpoint", write: is(2, release.StatusPending, func(p *release.Progress) bool { return p.Applied && !p.Ready }), adopt: true,
			want: "ok", wantState: "1:superseded 2:deployed | a=2 c=2", warning: "record the progress of revision 2"},
		{name: "ready checkpoint", write: is(2, release.StatusPending, func(p *release.Progress) bool { return p.Ready && !p.Pruned }),
			want: "ok", wantState: "1:superseded 2:deployed | a=2 c=2", warning: "record the progress of revision 2"},
		{name: "pruned checkpoint", write: is(2, release.StatusPending, func(p *release.Progress) bool { return p.Pruned }),
			want: "ok", wantState: "1:superseded 2:deployed | a=2 c=2", warning: "record the progress of revision 2"},
		{name: "deployed record", write: is(2, release.StatusDeployed, nil),
			want: "error", wantState: "1:deployed 2:pending | a=2 c=2"},
		{name: "superseded record", write: is(1, release.StatusSuperseded, nil),
			want: "error", wantState: "1:deployed 2:deployed | a=2 c=2"},
		{name: "rolled-back record", write: is(2, release.StatusRolledBack, nil), failTrack: true,
			want: "rolled back to 1", wantState: "1:deployed 2:pending | a=1 b=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := deploytest.New()
			seed(t, e, v1())
			var once sync.Once
			failed := false
			fail := func(op string, r *release.Revision) error {
				var err error
				if tt.write(op, r) {
					once.Do(func() { failed, err = true, errors.New("etcdserver: request timed out") })
				}
				return err
			}
			e.Store.CreateFunc = func(_ context.Context, r *release.Revision) error { return fail("create", r) }
			e.Store.UpdateFunc = func(_ context.Context, r *release.Revision) error { return fail("update", r) }
			if tt.failTrack {
				e.Tracker.RunFunc = func(_ context.Context, objs []*unstructured.Unstructured, _ func(track.Event)) (track.Result, error) {
					e.Tracker.RunFunc = nil
					return deploytest.Failed(objs, key("c"), "CrashLoopBackOff", "exit 1"), nil
				}
			}
			if tt.adopt {
				e.Cluster.Put(deploytest.Object("v1", "ConfigMap", ns, "c", map[string]any{"v": "unowned"}))
			}
			var events []deploy.Event
			_, err := deploy.NewDeploy(e.Config).Run(context.Background(), deploy.DeployOptions{
				Release: rel, Namespace: ns, Objects: v2Objects(),
				RunOptions: deploy.RunOptions{Adopt: tt.adopt, OnEvent: func(ev deploy.Event) { events = append(events, ev) }},
			})
			if !failed {
				t.Fatalf("the %s was never written (err %v)", tt.name, err)
			}
			if got := outcome(err); got != tt.want {
				t.Fatalf("outcome %q (%v), want %q", got, err, tt.want)
			}
			if got := history(t, e) + " | " + live(e); got != tt.wantState {
				t.Errorf("state %q, want %q", got, tt.wantState)
			}
			if tt.warning != "" && !hasWarning(events, tt.warning) {
				t.Errorf("no Warning event containing %q", tt.warning)
			}
			e.Store.CreateFunc, e.Store.UpdateFunc = nil, nil
			nextDeployRecovers(t, e)
		})
	}
}

// hasWarning reports whether events has a Warning containing s.
func hasWarning(events []deploy.Event, s string) bool {
	for _, ev := range events {
		if ev.Kind == deploy.Warning && strings.Contains(ev.Message, s) {
			return true
		}
	}
	return false
}
