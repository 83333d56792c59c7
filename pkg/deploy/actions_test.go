package deploy_test

import (
	"context"
	"errors"
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

func job(name string, events ...string) release.Hook {
	o := deploytest.Object("batch/v1", "Job", ns, name, nil)
	o.SetLabels(map[string]string{manifest.ReleaseLabel: rel})
	return release.Hook{Object: o, Events: events}
}

// tracked returns the names of the objects e's tracker was asked to track, run by run.
func tracked(e *deploytest.Env) string {
	var runs []string
	for _, r := range e.Tracker.Runs() {
		var names []string
		for _, k := range r {
			names = append(names, k.Name)
		}
		runs = append(runs, strings.Join(names, ","))
	}
	return strings.Join(runs, " ")
}

// upgraded is v1 upgraded to revision 2 (a=2, c=2), with a rollback hook in both.
func upgraded() []*release.Revision {
	revs := v1()
	revs[0].Status = release.StatusSuperseded
	revs[0].Hooks = []release.Hook{job("undo", release.HookPreRollback)}
	return append(revs, &release.Revision{Number: 2, Status: release.StatusDeployed,
		Objects: []*unstructured.Unstructured{cm("a", "2"), cm("c", "2")}, Hooks: []release.Hook{job("undo", release.HookPreRollback)}})
}

func TestRollback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                                     string
		opts                                     deploy.RollbackOptions
		want, wantHistory, wantLive, wantTracked string
	}{
		{"to the revision before, with its rollback hooks", deploy.RollbackOptions{},
			"ok", "1:superseded 2:superseded 3:deployed", "a=1 b=1 Job/undo", "undo a,b"},
		{"named revision, no hooks", deploy.RollbackOptions{To: 1, NoHooks: true},
			"ok", "1:superseded 2:superseded 3:deployed", "a=1 b=1", "a,b"},
		{"unknown revision", deploy.RollbackOptions{To: 7},
			"input", "1:superseded 2:deployed", "a=2 c=2", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := deploytest.New()
			seed(t, e, upgraded())
			opts := tt.opts
			opts.Release, opts.Namespace = rel, ns
			res, err := deploy.NewRollback(e.Config).Run(context.Background(), opts)
			if got := outcome(err); got != tt.want {
				t.Fatalf("outcome %q (%v), want %q", got, err, tt.want)
			}
			if got := history(t, e); got != tt.wantHistory {
				t.Errorf("history %q, want %q", got, tt.wantHistory)
			}
			if got := live(e); got != tt.wantLive {
				t.Errorf("live %q, want %q", got, tt.wantLive)
			}
			if got := tracked(e); got != tt.wantTracked {
				t.Errorf("tracked %q, want %q", got, tt.wantTracked)
			}
			if err == nil {
				r, _ := e.Store.Get(context.Background(), rel, res.Revision)
				if r.Description != "rollback to 1" || len(r.Hooks) != 1 {
					t.Errorf("revision %d: description %q, %d hooks; want rollback to 1 with its hook", r.Number, r.Description, len(r.Hooks))
				}
			}
		})
	}
}

func TestUninstall(t *testing.T) {
	t.Parallel()
	failHook := func(name string) func(e *deploytest.Env) {
		return func(e *deploytest.Env) {
			e.Tracker.RunFunc = func(_ context.Context, objs []*unstructured.Unstructured, _ func(track.Event)) (track.Result, error) {
				if objs[0].GetName() == name {
					return deploytest.Failed(objs, manifest.KeyOf(objs[0]), "BackoffLimitExceeded", "job failed"), nil
				}
				return deploytest.Result(objs, "Ready"), nil
			}
		}
	}
	tests := []struct {
		name                                 string
		opts                                 deploy.UninstallOptions
		setup                                func(e *deploytest.Env)
		want, wantHistory, wantLive, errPart string
		wantDeleted                          int
	}{
		{name: "deletes objects, hooks and leftovers, keeps history",
			want: "ok", wantHistory: "1:superseded 2:uninstalled 3:failed", wantLive: "Job/post Job/pre", wantDeleted: 3},
		{name: "purge", opts: deploy.UninstallOptions{Purge: true},
			want: "ok", wantHistory: "", wantLive: "Job/post Job/pre", wantDeleted: 3},
		{name: "no hooks", opts: deploy.UninstallOptions{NoHooks: true},
			want: "ok", wantHistory: "1:superseded 2:uninstalled 3:failed", wantLive: "", wantDeleted: 3},
		{name: "pre-delete hook fails: nothing deleted", setup: failHook("pre"),
			want: "error", wantHistory: "1:superseded 2:deployed 3:failed", wantLive: "a=2 c=2 left=3 Job/pre",
			errPart: "stopped before deleting anything: pre-delete hook batch/Job prod/pre: BackoffLimitExceeded"},
		{name: "post-delete hook fails: uninstalled, reported", setup: failHook("post"),
			want: "error", wantHistory: "1:superseded 2:uninstalled 3:failed", wantLive: "Job/post Job/pre", wantDeleted: 3,
			errPart: `release "web" is uninstalled, but post-delete hook batch/Job prod/post`},
		{name: "delete fails: recorded uninstalling, retry possible",
			setup: func(e *deploytest.Env) {
				e.Cluster.DeleteFunc = func(context.Context, []*unstructured.Unstructured, apply.DeleteOptions) ([]*unstructured.Unstructured, error) {
					return nil, errors.New("forbidden")
				}
			},
			want: "error", wantHistory: "1:superseded 2:uninstalling 3:failed", wantLive: "a=2 c=2 left=3 Job/pre", errPart: "run uninstall again to retry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := deploytest.New()
			revs := upgraded()
			revs[1].Hooks = []release.Hook{job("pre", release.HookPreDelete), job("post", release.HookPostDelete)}
			revs = append(revs, &release.Revision{Number: 3, Status: release.StatusFailed, Created: []release.ObjectRef{release.RefOf(cm("left", ""))}})
			seed(t, e, revs, cm("left", "3"))
			if tt.setup != nil {
				tt.setup(e)
			}
			opts := tt.opts
			opts.Release, opts.Namespace = rel, ns
			res, err := deploy.NewUninstall(e.Config).Run(context.Background(), opts)
			got := "ok"
			if err != nil {
				got = "error"
			}
			if got != tt.want || err != nil && !strings.Contains(err.Error(), tt.errPart) {
				t.Fatalf("error %v, want %s containing %q", err, tt.want, tt.errPart)
			}
			if got := history(t, e); got != tt.wantHistory {
				t.Errorf("history %q, want %q", got, tt.wantHistory)
			}
			if got := live(e); got != tt.wantLive {
				t.Errorf("live %q, want %q", got, tt.wantLive)
			}
			if res != nil && len(res.Deleted) != tt.wantDeleted {
				t.Errorf("deleted %v, want %d objects", res.Deleted, tt.wantDeleted)
			}
		})
	}
}

func TestUninstallWarnsWhenTheLockIsNotReleased(t *testing.T) {
	t.Parallel()
	e := deploytest.New()
	seed(t, e, v1())
	e.Locker.AcquireFunc = func(context.Context, string, string, time.Duration) (deploy.Lock, error) {
		l := deploytest.NewLock()
		l.ReleaseFunc = func(context.Context) error { return errors.New("apiserver down") }
		return l, nil
	}
	var warnings []string
	_, err := deploy.NewUninstall(e.Config).Run(context.Background(), deploy.UninstallOptions{
		Release: rel, Namespace: ns, OnEvent: func(ev deploy.Event) {
			if ev.Kind == deploy.Warning {
				warnings = append(warnings, ev.Message)
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(warnings, func(w string) bool { return strings.Contains(w, `release the lock of "web": apiserver down`) }) {
		t.Errorf("warnings %q lack the failed lock release", warnings)
	}
}

func TestUninstallUnknownRelease(t *testing.T) {
	t.Parallel()
	_, err := deploy.NewUninstall(deploytest.New().Config).Run(context.Background(), deploy.UninstallOptions{Release: rel, Namespace: ns})
	if outcome(err) != "input" {
		t.Errorf("error %v, want an input error", err)
	}
}

func TestImport(t *testing.T) {
	t.Parallel()
	imported := func() *deploy.Imported {
		return &deploy.Imported{Name: rel, Revision: 4, Chart: "web-1.0.0",
			Objects: []*unstructured.Unstructured{deploytest.ConfigMap("a", "helm")},
			Hooks:   []release.Hook{job("cleanup", release.HookPreDelete)}, TestHooks: 1}
	}
	t.Run("takes the release over, hooks recorded not run", func(t *testing.T) {
		t.Parallel()
		unmanaged := deploytest.Object("v1", "ConfigMap", ns, "a", map[string]any{"v": "helm"})
		e := deploytest.New(unmanaged)
		var dropped []string
		e.Cluster.DropManagersFunc = func(_ context.Context, _ []*unstructured.Unstructured, managers []string) ([]*unstructured.Unstructured, error) {
			dropped = managers
			return nil, nil
		}
		var warnings []string
		res, err := deploy.NewImport(e.Config).Run(context.Background(), deploy.ImportOptions{
			Release: rel, Namespace: ns, Read: func(context.Context) (*deploy.Imported, error) { return imported(), nil },
			RunOptions: deploy.RunOptions{OnEvent: func(ev deploy.Event) {
				if ev.Kind == deploy.Warning {
					warnings = append(warnings, ev.Message)
				}
			}},
		})
		if err != nil {
			t.Fatal(err)
		}
		r, _ := e.Store.Get(context.Background(), rel, res.Revision)
		if r.Description != "import from Helm revision 4" || r.Source != "helm release web revision 4 (web-1.0.0)" || len(r.Hooks) != 1 {
			t.Errorf("record: %q, %q, %d hooks", r.Description, r.Source, len(r.Hooks))
		}
		if got := live(e); got != "a=helm" {
			t.Errorf("live %q; the hook must not run", got)
		}
		if strings.Join(dropped, ",") != "helm" {
			t.Errorf("dropped managers %v, want helm", dropped)
		}
		if len(warnings) != 1 || !strings.Contains(warnings[0], "has 2 hooks: 1 recorded for rollback and uninstall") || !strings.Contains(warnings[0], "1 test hooks left out") {
			t.Errorf("warnings %q", warnings)
		}
	})
	t.Run("refused once shipsafe has history", func(t *testing.T) {
		t.Parallel()
		e := deploytest.New()
		seed(t, e, v1())
		_, err := deploy.NewImport(e.Config).Run(context.Background(), deploy.ImportOptions{
			Release: rel, Namespace: ns, Read: func(context.Context) (*deploy.Imported, error) {
				t.Error("Read called for a release shipsafe manages")
				return imported(), nil
			},
		})
		if outcome(err) != "input" || !strings.Contains(err.Error(), "already has 1 shipsafe revisions") {
			t.Errorf("error %v", err)
		}
	})
	t.Run("nothing to import", func(t *testing.T) {
		t.Parallel()
		_, err := deploy.NewImport(deploytest.New().Config).Run(context.Background(), deploy.ImportOptions{
			Release: rel, Namespace: ns, Read: func(context.Context) (*deploy.Imported, error) {
				return nil, &deploy.InputError{Err: errors.New("no deployed Helm release")}
			},
		})
		if outcome(err) != "input" {
			t.Errorf("error %v", err)
		}
	})
}

func TestStatusAndHistory(t *testing.T) {
	t.Parallel()
	e := deploytest.New()
	seed(t, e, upgraded())
	st, err := deploy.Status(context.Background(), e.Config, rel, ns)
	if err != nil || st.Deployed.Number != 2 || st.Latest.Number != 2 {
		t.Errorf("Status = %+v, %v", st, err)
	}
	if _, err := deploy.History(context.Background(), e.Config, "absent", ns); outcome(err) != "input" {
		t.Errorf("History of an absent release: %v", err)
	}
}
