package deploy

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/apply"
	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/track"
)

// hookPollInterval is how often a deleted hook is checked for being gone.
const hookPollInterval = 250 * time.Millisecond

// hookRunner runs the hooks of one action (deploy, rollback, uninstall) event by event.
type hookRunner struct {
	cfg *Config
	ev  *emitter
	// owner is the release whose hooks they are: only its hook objects are deleted.
	owner manifest.Owner
	hooks []release.Hook
	// skip runs none of hooks (--no-hooks, an import); run says so in a Step event.
	skip bool
	// force takes fields other managers own when a hook is applied.
	force bool
	// timeout bounds the hooks of each event together.
	timeout time.Duration
}

// hookRunner returns the runner of s's hooks.
func (d *Deploy) hookRunner(s *spec, ev *emitter) *hookRunner {
	return &hookRunner{cfg: d.cfg, ev: ev, owner: manifest.Owner{Namespace: s.Namespace, Name: s.Release}, hooks: s.Hooks, skip: s.noHooks, force: s.ForceConflicts, timeout: s.Timeout}
}

// run runs the hooks of event one by one, each created and tracked until ready, within
// r.timeout for them all. On the first failure it applies the delete policies as Helm
// does (the failed hook with hook-failed, those that succeeded before it with
// hook-succeeded) and returns why; on success it deletes, last first, those with
// hook-succeeded.
func (r *hookRunner) run(ctx context.Context, event string) *failure {
	hooks := hooksFor(r.hooks, event)
	if len(hooks) == 0 {
		return nil
	}
	if r.skip {
		r.ev.step(fmt.Sprintf("not running %d %s hooks", len(hooks), event))
		return nil
	}
	r.ev.step(fmt.Sprintf("running %d %s hooks", len(hooks), event))
	wctx, cancel := withTimeout(ctx, r.timeout)
	defer cancel()
	for i, h := range hooks {
		if f := r.runOne(wctx, event, h); f != nil {
			if h.Policy(release.HookDeleteFailed) {
				r.delete(ctx, []release.Hook{h})
			}
			r.delete(ctx, succeededToDelete(hooks[:i]))
			return f
		}
	}
	r.delete(ctx, succeededToDelete(hooks))
	return nil
}

// runOne replaces, creates and tracks one hook under ctx, the hooks' context.
func (r *hookRunner) runOne(ctx context.Context, event string, h release.Hook) *failure {
	name := h.String()
	fail := func(detail string, evidence []string) *failure {
		return &failure{reason: interruption(ctx, fmt.Sprintf("%s hook %s: %s", event, name, detail)), evidence: evidence}
	}
	live, err := r.cfg.Cluster.Get(ctx, h.Object.GroupVersionKind(), h.Object.GetNamespace(), h.Object.GetName())
	if err != nil {
		return fail(err.Error(), nil)
	}
	if live != nil {
		if !h.Policy(release.HookBeforeCreation) {
			return fail(fmt.Sprintf("it exists already (left by an earlier run) and its hook-delete-policy lacks %s; delete it or add that policy",
				release.HookBeforeCreation), nil)
		}
		if err := r.deleteAndWait(ctx, h); err != nil {
			return fail(fmt.Sprintf("delete the previous instance: %v", err), nil)
		}
	}
	r.ev.step(fmt.Sprintf("%s hook %s (weight %d)", event, name, h.Weight))
	applied, err := r.cfg.Cluster.Apply(ctx, []*unstructured.Unstructured{h.Object}, apply.Options{
		Force: r.force,
		OnApplied: func(o *unstructured.Unstructured) {
			r.ev.emit(Event{Kind: Applied, Object: manifest.KeyOf(o).String()})
		},
	})
	if err != nil {
		return fail(fmt.Sprintf("create: %v", err), nil)
	}
	res, err := r.cfg.Tracker.Run(ctx, asApplied([]*unstructured.Unstructured{h.Object}, applied), track.RunOptions{}, r.ev.track)
	switch {
	case err != nil:
		return fail(notReady(res, err), res.Evidence)
	case res.Failed:
		return fail(fmt.Sprintf("%s: %s", res.Reason, res.Message), res.Evidence)
	}
	return nil
}

// deleteAndWait deletes the live instance of h and waits until it is gone, so that the
// new one is not confused with it.
func (r *hookRunner) deleteAndWait(ctx context.Context, h release.Hook) error {
	deleted, err := r.cfg.Cluster.Delete(ctx, []*unstructured.Unstructured{h.Object}, deleteOptions(r.owner, r.ev))
	for _, o := range deleted {
		r.ev.emit(Event{Kind: Deleted, Object: manifest.KeyOf(o).String(), Message: "previous hook instance (" + release.HookBeforeCreation + ")"})
	}
	if err != nil {
		return err
	}
	t := time.NewTicker(hookPollInterval)
	defer t.Stop()
	for {
		live, err := r.cfg.Cluster.Get(ctx, h.Object.GroupVersionKind(), h.Object.GetNamespace(), h.Object.GetName())
		if err != nil {
			return err
		}
		if live == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("still there (finalizers?): %w", ctx.Err())
		case <-t.C:
		}
	}
}

// succeededToDelete returns, last first, the hooks whose policy deletes them on success.
func succeededToDelete(hooks []release.Hook) []release.Hook {
	var out []release.Hook
	for i := len(hooks) - 1; i >= 0; i-- {
		if hooks[i].Policy(release.HookDeleteSucceeded) {
			out = append(out, hooks[i])
		}
	}
	return out
}

// delete deletes hooks by their policy, in order, under its own short deadline so that
// it happens even after a signal. A failed delete is a warning: the hook has run.
func (r *hookRunner) delete(ctx context.Context, hooks []release.Hook) {
	if len(hooks) == 0 {
		return
	}
	dctx, cancel := detached(ctx, recordTimeout)
	defer cancel()
	for _, h := range hooks {
		deleted, err := r.cfg.Cluster.Delete(dctx, []*unstructured.Unstructured{h.Object}, deleteOptions(r.owner, r.ev))
		for _, o := range deleted {
			r.ev.emit(Event{Kind: Deleted, Object: manifest.KeyOf(o).String(), Message: "hook, by its hook-delete-policy"})
		}
		if err != nil {
			r.ev.warn(fmt.Sprintf("delete hook %s by its hook-delete-policy: %v; delete it by hand", h, err))
		}
	}
}
