package deploy_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/apply"
	"github.com/shipsafe/shipsafe/pkg/deploy"
	"github.com/shipsafe/shipsafe/pkg/deploy/deploytest"
	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/track"
)

const (
	rel = "web"
	ns  = "prod"
)

// cm is a ConfigMap of the release in ns, as a deploy normalizes it.
func cm(name, value string) *unstructured.Unstructured {
	o := deploytest.Object("v1", "ConfigMap", ns, name, map[string]any{"v": value})
	o.SetLabels(map[string]string{manifest.ReleaseLabel: rel})
	return o
}

func key(name string) manifest.Key { return manifest.KeyOf(cm(name, "")) }

// seed records revs in e's store and puts the objects of its deployed revision (and the
// extra objects) in e's cluster.
func seed(t *testing.T, e *deploytest.Env, revs []*release.Revision, extra ...*unstructured.Unstructured) {
	t.Helper()
	for _, r := range revs {
		r.Release, r.Namespace = rel, ns
		if err := e.Store.Store.Create(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		if r.Status == release.StatusDeployed {
			for _, o := range r.Objects {
				e.Cluster.Put(o)
			}
		}
	}
	for _, o := range extra {
		e.Cluster.Put(o)
	}
}

// v1 is a release deployed as revision 1 with ConfigMaps a=1 and b=1.
func v1() []*release.Revision {
	return []*release.Revision{{Number: 1, Status: release.StatusDeployed, Objects: []*unstructured.Unstructured{cm("a", "1"), cm("b", "1")}}}
}

// history renders the store's history of the release: "1:superseded 2:deployed".
func history(t *testing.T, e *deploytest.Env) string {
	t.Helper()
	revs, err := e.Store.Store.History(context.Background(), rel)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range revs {
		out = append(out, fmt.Sprintf("%d:%s", r.Number, r.Status))
	}
	return strings.Join(out, " ")
}

// live renders the cluster's ConfigMaps and Jobs with their value: "a=1 b=2".
func live(e *deploytest.Env) string {
	var out []string
	for _, k := range e.Cluster.Objects() {
		o := e.Cluster.Live(k)
		v, _, _ := unstructured.NestedString(o.Object, "data", "v")
		if v == "" {
			out = append(out, k.Kind+"/"+k.Name)
			continue
		}
		out = append(out, k.Name+"="+v)
	}
	return strings.Join(out, " ")
}

// outcome classifies an action's error.
func outcome(err error) string {
	var (
		ferr *deploy.FailedError
		ierr *deploy.InputError
	)
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, release.ErrLockLost):
		return "lock lost"
	case errors.As(err, &ferr) && ferr.Restored && ferr.RolledBackTo > 0:
		return fmt.Sprintf("rolled back to %d", ferr.RolledBackTo)
	case errors.As(err, &ferr) && ferr.Restored:
		return "restored"
	case errors.As(err, &ferr):
		return "not restored"
	case errors.As(err, &ierr):
		return "input"
	case deploy.IsLocked(err):
		return "locked"
	}
	return "error"
}

// failApplyOf makes e's cluster fail to apply (not dry-run) the object named name; it
// applies the others.
func failApplyOf(e *deploytest.Env, name string) {
	e.Cluster.ApplyFunc = func(ctx context.Context, objs []*unstructured.Unstructured, opts apply.Options) ([]*unstructured.Unstructured, error) {
		var rest []*unstructured.Unstructured
		var err error
		for _, o := range objs {
			if o.GetName() == name && !opts.DryRun {
				err = &apply.Error{Key: manifest.KeyOf(o), Op: "apply", Err: errors.New("admission webhook denied it")}
				continue
			}
			rest = append(rest, o)
		}
		applied, aerr := e.Cluster.ApplyObjects(ctx, rest, opts)
		return applied, errors.Join(err, aerr)
	}
}

// blockTracking makes e's tracker wait until its context ends, calling during first.
func blockTracking(e *deploytest.Env, during func()) {
	e.Tracker.RunFunc = func(ctx context.Context, objs []*unstructured.Unstructured, _ func(track.Event)) (track.Result, error) {
		e.Tracker.RunFunc = nil // the restore's tracking finds everything ready
		if during != nil {
			during()
		}
		<-ctx.Done()
		return deploytest.Result(objs, "Progressing"), ctx.Err()
	}
}

func TestDeployTransitions(t *testing.T) {
	t.Parallel()
	secondSignal := make(chan struct{})
	tests := []struct {
		name string
		// revs and extra are the state before; objs is what is deployed.
		revs  []*release.Revision
		extra []*unstructured.Unstructured
		objs  []*unstructured.Unstructured
		hooks []release.Hook
		opts  deploy.RunOptions
		// setup breaks e; ctx may be cancelled by it.
		setup func(e *deploytest.Env, cancel context.CancelFunc)
		// want is the outcome, the history after, the live objects after, and a part of
		// the error or of the result's reason (reason), or a Warning event (warning).
		want, wantHistory, wantLive, reason, warning string
		// recovered is Result.Recovered.
		recovered int
	}{
		{
			name: "install", objs: []*unstructured.Unstructured{cm("a", "1")},
			want: "ok", wantHistory: "1:deployed", wantLive: "a=1",
		},
		{
			name: "upgrade changes, adds and prunes", revs: v1(), objs: []*unstructured.Unstructured{cm("a", "2"), cm("c", "2")},
			want: "ok", wantHistory: "1:superseded 2:deployed", wantLive: "a=2 c=2",
		},
		{
			name: "apply fails: rolled back, what it created removed", revs: v1(), objs: []*unstructured.Unstructured{cm("a", "2"), cm("c", "2")},
			setup: func(e *deploytest.Env, _ context.CancelFunc) { failApplyOf(e, "c") },
			want:  "rolled back to 1", wantHistory: "1:deployed 2:rolled-back", wantLive: "a=1 b=1", reason: "apply: apply ConfigMap prod/c: admission webhook denied it",
		},
		{
			name: "tracking fails: rolled back", revs: v1(), objs: []*unstructured.Unstructured{cm("a", "2"), cm("c", "2")},
			setup: func(e *deploytest.Env, _ context.CancelFunc) {
				e.Tracker.RunFunc = func(_ context.Context, objs []*unstructured.Unstructured, _ func(track.Event)) (track.Result, error) {
					e.Tracker.RunFunc = nil
					return deploytest.Failed(objs, key("c"), "CrashLoopBackOff", "app exited 1", "log: boom"), nil
				}
			},
			want: "rolled back to 1", wantHistory: "1:deployed 2:rolled-back", wantLive: "a=1 b=1", reason: "ConfigMap prod/c: CrashLoopBackOff: app exited 1",
		},
		{
			name: "first install fails: nothing left", objs: []*unstructured.Unstructured{cm("a", "1"), cm("c", "1")},
			setup: func(e *deploytest.Env, _ context.CancelFunc) { failApplyOf(e, "c") },
			want:  "restored", wantHistory: "1:failed", wantLive: "",
		},
		{
			name: "failure left in place with NoRollback", revs: v1(), objs: []*unstructured.Unstructured{cm("a", "2"), cm("c", "2")},
			opts:  deploy.RunOptions{NoRollback: true},
			setup: func(e *deploytest.Env, _ context.CancelFunc) { failApplyOf(e, "c") },
			want:  "not restored", wantHistory: "1:deployed 2:failed", wantLive: "a=2 b=1",
		},
		{
			name: "pre-upgrade hook fails: rolled back, hook deleted by hook-failed", revs: v1(), objs: []*unstructured.Unstructured{cm("a", "2")},
			hooks: []release.Hook{{Object: deploytest.Object("batch/v1", "Job", "", "migrate", nil), Events: []string{release.HookPreUpgrade},
				DeletePolicies: []string{release.HookDeleteFailed}}},
			setup: func(e *deploytest.Env, _ context.CancelFunc) {
				e.Tracker.RunFunc = func(_ context.Context, objs []*unstructured.Unstructured, _ func(track.Event)) (track.Result, error) {
					e.Tracker.RunFunc = nil
					return deploytest.Failed(objs, manifest.KeyOf(objs[0]), "BackoffLimitExceeded", "job failed"), nil
				}
			},
			want: "rolled back to 1", wantHistory: "1:deployed 2:rolled-back", wantLive: "a=1 b=1", reason: "pre-upgrade hook batch/Job prod/migrate: BackoffLimitExceeded: job failed",
		},
		{
			name: "hooks run around the objects and stay by default", revs: v1(), objs: []*unstructured.Unstructured{cm("a", "2"), cm("b", "1")},
			hooks: []release.Hook{
				{Object: deploytest.Object("batch/v1", "Job", "", "pre", nil), Events: []string{release.HookPreUpgrade}},
				{Object: deploytest.Object("batch/v1", "Job", "", "post", nil), Events: []string{release.HookPostUpgrade}, DeletePolicies: []string{release.HookDeleteSucceeded}},
				{Object: deploytest.Object("batch/v1", "Job", "", "install-only", nil), Events: []string{release.HookPreInstall}},
			},
			want: "ok", wantHistory: "1:superseded 2:deployed", wantLive: "a=2 b=1 Job/pre",
		},
		{
			name: "prune fails: deployed, with a warning", revs: v1(), objs: []*unstructured.Unstructured{cm("a", "2")},
			setup: func(e *deploytest.Env, _ context.CancelFunc) {
				e.Cluster.DeleteFunc = func(context.Context, []*unstructured.Unstructured, apply.DeleteOptions) ([]*unstructured.Unstructured, error) {
					return nil, errors.New("delete ConfigMap prod/b: forbidden")
				}
			},
			want: "ok", wantHistory: "1:superseded 2:deployed", wantLive: "a=2 b=1", warning: "prune: delete ConfigMap prod/b: forbidden",
		},
		{
			name: "timeout: rolled back", revs: v1(), objs: []*unstructured.Unstructured{cm("a", "2")},
			opts:  deploy.RunOptions{Timeout: 20 * time.Millisecond},
			setup: func(e *deploytest.Env, _ context.CancelFunc) { blockTracking(e, nil) },
			want:  "rolled back to 1", wantHistory: "1:deployed 2:rolled-back", wantLive: "a=1 b=1", reason: "timed out after 20ms: waiting for ConfigMap prod/a",
		},
		{
			name: "signal: rolled back", revs: v1(), objs: []*unstructured.Unstructured{cm("a", "2")},
			setup: func(e *deploytest.Env, cancel context.CancelFunc) { blockTracking(e, cancel) },
			want:  "rolled back to 1", wantHistory: "1:deployed 2:rolled-back", wantLive: "a=1 b=1", reason: "interrupted (signal or cancelled) while waiting for",
		},
		{
			// The next holder recovers: this run writes nothing more, not even the record.
			name: "lock lost while waiting: stops without writing", revs: v1(), objs: []*unstructured.Unstructured{cm("a", "2")},
			setup: func(e *deploytest.Env, _ context.CancelFunc) {
				blockTracking(e, func() { e.Locker.Locks()[0].Lose() })
			},
			want: "lock lost", wantHistory: "1:deployed 2:pending", wantLive: "a=2 b=1", reason: "stopped writing at once",
		},
		{
			name: "signal before the lock: nothing changed", revs: v1(), objs: []*unstructured.Unstructured{cm("a", "2")},
			setup: func(_ *deploytest.Env, cancel context.CancelFunc) { cancel() },
			want:  "restored", wantHistory: "1:deployed", wantLive: "a=1 b=1", reason: "nothing was changed",
		},
		{
			name: "second signal stops the rollback's wait: not restored", revs: v1(), objs: []*unstructured.Unstructured{cm("a", "2")},
			opts: deploy.RunOptions{Stop: secondSignal},
			setup: func(e *deploytest.Env, _ context.CancelFunc) {
				e.Tracker.RunFunc = func(_ context.Context, objs []*unstructured.Unstructured, _ func(track.Event)) (track.Result, error) {
					blockTracking(e, func() { close(secondSignal) })
					return deploytest.Failed(objs, key("a"), "CrashLoopBackOff", "exit 1"), nil
				}
			},
			want: "not restored", wantHistory: "1:deployed 2:failed", wantLive: "a=1 b=1",
			reason: "a second signal stopped the wait before revision 1 was ready again",
		},
		{
			name: "hook with the key of an object refused", revs: v1(), objs: []*unstructured.Unstructured{cm("a", "2")},
			hooks: []release.Hook{{Object: deploytest.ConfigMap("a", "hook"), Events: []string{release.HookPreUpgrade}}},
			want:  "input", wantHistory: "1:deployed", wantLive: "a=1 b=1", reason: "ConfigMap prod/a",
		},
		{
			name: "test hook recorded, not run", revs: v1(), objs: []*unstructured.Unstructured{cm("a", "2"), cm("b", "1")},
			hooks: []release.Hook{{Object: deploytest.Object("batch/v1", "Job", "", "t", nil), Events: []string{release.HookTest}}},
			want:  "ok", wantHistory: "1:superseded 2:deployed", wantLive: "a=2 b=1",
		},
		{
			name: "unknown hook event refused", revs: v1(), objs: []*unstructured.Unstructured{cm("a", "2")},
			hooks: []release.Hook{{Object: deploytest.Object("batch/v1", "Job", "", "t", nil), Events: []string{"pre-instal"}}},
			want:  "input", wantHistory: "1:deployed", wantLive: "a=1 b=1", reason: `hook kind "pre-instal" is not supported`,
		},
		{
			name: "pending record not written: nothing changed", revs: v1(), objs: []*unstructured.Unstructured{cm("a", "2")},
			setup: func(e *deploytest.Env, _ context.CancelFunc) {
				e.Store.CreateFunc = func(context.Context, *release.Revision) error { return errors.New("etcd unavailable") }
			},
			want: "error", wantHistory: "1:deployed", wantLive: "a=1 b=1", reason: "record revision 2 of \"web\": etcd unavailable",
		},
		{
			name: "deployed record not written: error, revision left pending", revs: v1(), objs: []*unstructured.Unstructured{cm("a", "2")},
			setup: func(e *deploytest.Env, _ context.CancelFunc) {
				e.Store.UpdateFunc = func(_ context.Context, r *release.Revision) error {
					if r.Status == release.StatusDeployed && r.Number == 2 {
						return errors.New("etcd unavailable")
					}
					return nil
				}
			},
			want: "error", wantHistory: "1:deployed 2:pending", wantLive: "a=2", reason: "the next deploy of web records it as deployed",
		},
		{
			name: "history trim fails: deployed, with a warning", revs: v1(), objs: []*unstructured.Unstructured{cm("a", "2")},
			opts: deploy.RunOptions{HistoryMax: 1},
			setup: func(e *deploytest.Env, _ context.CancelFunc) {
				e.Store.DeleteFunc = func(context.Context, string, int) error { return errors.New("forbidden") }
			},
			want: "ok", wantHistory: "1:superseded 2:deployed", wantLive: "a=2", warning: "trim the history of \"web\" to 1 revisions: ",
		},
		{
			name: "lock release fails: deployed, with a warning", objs: []*unstructured.Unstructured{cm("a", "1")},
			setup: func(e *deploytest.Env, _ context.CancelFunc) {
				e.Locker.AcquireFunc = func(context.Context, string, string, time.Duration) (deploy.Lock, error) {
					l := deploytest.NewLock()
					l.ReleaseFunc = func(context.Context) error { return errors.New("apiserver down") }
					return l, nil
				}
			},
			want: "ok", wantHistory: "1:deployed", wantLive: "a=1", warning: `release the lock of "web": apiserver down`,
		},
		{
			name: "pending revision recovered first", objs: []*unstructured.Unstructured{cm("a", "3")},
			revs: append(v1(), &release.Revision{Number: 2, Status: release.StatusPending, Holder: "dead-runner",
				Objects: []*unstructured.Unstructured{cm("a", "2"), cm("c", "2")}, Created: []release.ObjectRef{release.RefOf(cm("c", ""))}}),
			extra: []*unstructured.Unstructured{cm("a", "2"), cm("c", "2")},
			want:  "ok", wantHistory: "1:superseded 2:rolled-back 3:deployed", wantLive: "a=3", recovered: 2,
			warning: `revision 2 was left pending by "dead-runner"`,
		},
		{
			name: "leftovers of a failed revision pruned, unless taken over", objs: []*unstructured.Unstructured{cm("a", "2")},
			revs: append(v1(), &release.Revision{Number: 2, Status: release.StatusFailed,
				Objects: []*unstructured.Unstructured{cm("a", "2")}, Created: []release.ObjectRef{release.RefOf(cm("left", "")), release.RefOf(cm("taken", ""))}}),
			extra: []*unstructured.Unstructured{cm("left", "2"), deploytest.Object("v1", "ConfigMap", ns, "taken", map[string]any{"v": "other"})},
			want:  "ok", wantHistory: "1:superseded 2:failed 3:deployed", wantLive: "a=2 taken=other",
		},
		{
			name: "object of another release refused: nothing changed", objs: []*unstructured.Unstructured{cm("a", "1")},
			extra: []*unstructured.Unstructured{deploytest.Object("v1", "ConfigMap", ns, "a", map[string]any{"v": "theirs"})},
			want:  "input", wantHistory: "", wantLive: "a=theirs", reason: "exists and is not managed by shipsafe; pass --adopt",
		},
		{
			name: "locked by another deploy: nothing changed", revs: v1(), objs: []*unstructured.Unstructured{cm("a", "2")},
			setup: func(e *deploytest.Env, _ context.CancelFunc) {
				e.Locker.AcquireFunc = func(context.Context, string, string, time.Duration) (deploy.Lock, error) {
					return nil, &release.HeldError{Release: rel, Holder: "other"}
				}
			},
			want: "locked", wantHistory: "1:deployed", wantLive: "a=1 b=1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := deploytest.New()
			seed(t, e, tt.revs, tt.extra...)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.setup != nil {
				tt.setup(e, cancel)
			}
			var events []deploy.Event
			opts := tt.opts
			opts.OnEvent = func(ev deploy.Event) { events = append(events, ev) }
			objs := make([]*unstructured.Unstructured, len(tt.objs))
			for i, o := range tt.objs {
				objs[i] = o.DeepCopy()
				objs[i].SetNamespace("") // a deploy defaults it
			}
			res, err := deploy.NewDeploy(e.Config).Run(ctx, deploy.DeployOptions{
				Release: rel, Namespace: ns, Objects: objs, Hooks: tt.hooks, RunOptions: opts,
			})
			if got := outcome(err); got != tt.want {
				t.Fatalf("outcome %q (%v), want %q", got, err, tt.want)
			}
			if got := history(t, e); got != tt.wantHistory {
				t.Errorf("history %q, want %q", got, tt.wantHistory)
			}
			if got := live(e); got != tt.wantLive {
				t.Errorf("live objects %q, want %q", got, tt.wantLive)
			}
			if tt.reason != "" && (err == nil || !strings.Contains(err.Error(), tt.reason)) {
				t.Errorf("error %v, want it to contain %q", err, tt.reason)
			}
			if tt.warning != "" && !slices.ContainsFunc(events, func(ev deploy.Event) bool {
				return ev.Kind == deploy.Warning && strings.Contains(ev.Message, tt.warning)
			}) {
				t.Errorf("no Warning event containing %q in %+v", tt.warning, events)
			}
			if err == nil && (res.Recovered != tt.recovered || res.Status != release.StatusDeployed) {
				t.Errorf("result %+v, want deployed, recovered %d", res, tt.recovered)
			}
			for i, l := range e.Locker.Locks() {
				if l.Released() != 1 {
					t.Errorf("lock %d released %d times, want once", i, l.Released())
				}
			}
		})
	}
}

// TestPendingRecordWrittenBeforeAnyChange checks the contract cleanup after SIGKILL
// relies on: when the first object is applied, the revision is recorded as pending with
// every object it will newly create.
func TestPendingRecordWrittenBeforeAnyChange(t *testing.T) {
	t.Parallel()
	e := deploytest.New()
	seed(t, e, v1())
	var atFirstApply string
	e.Cluster.ApplyFunc = func(ctx context.Context, objs []*unstructured.Unstructured, opts apply.Options) ([]*unstructured.Unstructured, error) {
		if !opts.DryRun && atFirstApply == "" {
			r, err := e.Store.Get(ctx, rel, 2)
			if err != nil {
				atFirstApply = "no revision 2: " + err.Error()
			} else {
				var created []string
				for _, ref := range r.Created {
					created = append(created, ref.Name)
				}
				atFirstApply = fmt.Sprintf("%s created=%s", r.Status, strings.Join(created, ","))
			}
		}
		return e.Cluster.ApplyObjects(ctx, objs, opts)
	}
	_, err := deploy.NewDeploy(e.Config).Run(context.Background(), deploy.DeployOptions{
		Release: rel, Namespace: ns, Objects: []*unstructured.Unstructured{deploytest.ConfigMap("a", "2"), deploytest.ConfigMap("c", "2"), deploytest.ConfigMap("d", "2")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if atFirstApply != "pending created=c,d" {
		t.Errorf("at the first apply the record was %q, want pending created=c,d", atFirstApply)
	}
}

// TestAdoptTakesOverUnmanagedObjects checks that --adopt lets a deploy take an object of
// no release, which it refuses otherwise (see TestDeployTransitions).
func TestAdoptTakesOverUnmanagedObjects(t *testing.T) {
	t.Parallel()
	e := deploytest.New(deploytest.Object("v1", "ConfigMap", ns, "a", map[string]any{"v": "by hand"}))
	_, err := deploy.NewDeploy(e.Config).Run(context.Background(), deploy.DeployOptions{
		Release: rel, Namespace: ns, Objects: []*unstructured.Unstructured{deploytest.ConfigMap("a", "1")},
		RunOptions: deploy.RunOptions{Adopt: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Cluster.Live(key("a")).GetLabels()[manifest.ReleaseLabel]; got != rel || live(e) != "a=1" {
		t.Errorf("after adopting: label %q, live %q", got, live(e))
	}
	revs, _ := e.Store.History(context.Background(), rel)
	if len(revs) != 1 || len(revs[0].Created) != 0 {
		t.Errorf("an adopted object is not created by the revision: %+v", revs[0].Created)
	}
}
