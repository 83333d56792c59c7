package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/apply"
	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/plan"
	"github.com/shipsafe/shipsafe/pkg/release"
)

// hookPollInterval is how often a deleted hook is checked for being gone.
const hookPollInterval = 250 * time.Millisecond

// Hooks (release.Hook) run at moments of a deploy, rollback or uninstall instead of being
// among the release's objects, as Helm's hooks do. Each runs alone, in order of Weight
// then name: it is created (server-side apply, after its previous instance is deleted by
// before-hook-creation), then tracked until ready by the same health rules as any object
// (a Job complete, a Pod succeeded or ready, a ConfigMap at once), and a hook that fails
// fails the action; a failed deploy is rolled back as usual. A hook that exists when it
// is to run and whose policies lack before-hook-creation fails, as Helm's create would.
//
// Hooks are recorded in the revision, apart from its objects, and are never pruned: what
// stays of them after a run is what their delete policies leave. An automatic rollback
// after a failed deploy runs no hooks: it must not be stopped by one. A hook with an
// event Helm has but shipsafe does not run (test) or one Helm does not know is refused
// before anything changes, never skipped.

// checkHooks refuses hooks shipsafe does not run and policies it does not know.
func checkHooks(hooks []release.Hook) error {
	var errs []error
	for _, h := range hooks {
		if h.Object == nil {
			errs = append(errs, errors.New("a hook has no object"))
			continue
		}
		if len(h.Events) == 0 {
			errs = append(errs, fmt.Errorf("hook %s has no events", h))
		}
		for _, e := range h.Events {
			if !slices.Contains(release.HookEvents(), e) {
				errs = append(errs, fmt.Errorf("hook %s: hook kind %q is not supported by shipsafe, which runs only %s hooks; "+
					"remove the hook from the chart (or its helm.sh/hook annotation), or leave it out with --skip-hooks %s and run it yourself",
					h, e, strings.Join(release.HookEvents(), ", "), e))
			}
		}
		for _, p := range h.DeletePolicies {
			if !slices.Contains(release.HookPolicies(), p) {
				errs = append(errs, fmt.Errorf("hook %s: unknown hook-delete-policy %q; use %s", h, p, strings.Join(release.HookPolicies(), ", ")))
			}
		}
	}
	if len(errs) > 0 {
		return &InputError{Err: errors.Join(errs...)}
	}
	return nil
}

// prepareHooks checks opts.Hooks and replaces them with prepared copies: namespaces
// defaulted and release label set like the release's objects, no hook sharing a key with
// an object or another hook, ownership checked, and hooks that do not exist yet validated
// with a server-side dry run. Errors are InputErrors: nothing has changed.
func (d *Deploy) prepareHooks(ctx context.Context, opts *Options) error {
	if len(opts.Hooks) == 0 {
		return nil
	}
	all := slices.Clone(opts.Objects)
	for _, h := range opts.Hooks {
		if h.Object == nil {
			return inputErrorf("release %q: a hook has no object", opts.Release)
		}
		all = append(all, h.Object)
	}
	// Normalized together, so a hook of a kind a CRD of the release defines, or a hook
	// with the key of an object, is seen as such.
	norm, err := plan.Normalize(d.cfg.Clients.Mapper, all, opts.Release, opts.Namespace)
	if err != nil {
		return err
	}
	hookObjs := norm[len(opts.Objects):]
	prepared := make([]release.Hook, len(opts.Hooks))
	for i, h := range opts.Hooks {
		h.Object = hookObjs[i]
		prepared[i] = h
	}
	if err := checkHooks(prepared); err != nil {
		return err
	}
	existing, err := d.cfg.Applier.Existing(ctx, hookObjs)
	if err != nil {
		return &InputError{Err: fmt.Errorf("read the cluster: %w; check the cluster is reachable and you may list these kinds", err)}
	}
	if err := plan.CheckOwnership(hookObjs, existing, opts.Release, opts.Adopt); err != nil {
		return err
	}
	// Only hooks that do not exist yet: an existing Job, whose template is immutable,
	// is replaced (before-hook-creation), not updated.
	isHook := manifest.Index(hookObjs)
	var fresh []*unstructured.Unstructured
	for _, o := range plan.DryRunnable(norm, existing) {
		k := manifest.KeyOf(o)
		if _, ok := existing[k]; !ok && isHook[k] != nil {
			fresh = append(fresh, o)
		}
	}
	if _, err := d.cfg.Applier.Apply(ctx, fresh, apply.Options{DryRun: true, Force: opts.ForceConflicts}); err != nil {
		return &InputError{Err: fmt.Errorf("validation of hooks (server-side dry run) failed, nothing was changed:\n%w", err)}
	}
	opts.Hooks = prepared
	return nil
}

// hooksFor returns the hooks of event in the order they run: by weight, then name.
func hooksFor(hooks []release.Hook, event string) []release.Hook {
	var out []release.Hook
	for _, h := range hooks {
		if h.Has(event) {
			out = append(out, h)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Weight != out[j].Weight {
			return out[i].Weight < out[j].Weight
		}
		return out[i].Object.GetName() < out[j].Object.GetName()
	})
	return out
}

// hookEvents returns the pre- and post- events of a deploy: rollback for a Rollback,
// install when the release has no deployed revision, upgrade otherwise.
func hookEvents(rollback, install bool) (pre, post string) {
	switch {
	case rollback:
		return release.HookPreRollback, release.HookPostRollback
	case install:
		return release.HookPreInstall, release.HookPostInstall
	}
	return release.HookPreUpgrade, release.HookPostUpgrade
}

// runHooks runs the hooks of event one by one, each created and tracked until ready,
// within opts.Timeout for them all. On the first failure it applies the delete policies
// as Helm does (the failed hook with hook-failed, those that succeeded before it with
// hook-succeeded) and returns why; on success it deletes, last first, those with
// hook-succeeded.
func (d *Deploy) runHooks(ctx context.Context, event string, opts *Options, ev *emitter) *failure {
	hooks := hooksFor(opts.Hooks, event)
	if len(hooks) == 0 {
		return nil
	}
	if opts.NoHooks {
		ev.step(fmt.Sprintf("not running %d %s hooks", len(hooks), event))
		return nil
	}
	ev.step(fmt.Sprintf("running %d %s hooks", len(hooks), event))
	wctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	for i, h := range hooks {
		if f := d.runHook(ctx, wctx, event, h, opts, ev); f != nil {
			if h.Policy(release.HookDeleteFailed) {
				d.deleteHooks(ctx, []release.Hook{h}, ev)
			}
			d.deleteHooks(ctx, succeededToDelete(hooks[:i]), ev)
			return f
		}
	}
	d.deleteHooks(ctx, succeededToDelete(hooks), ev)
	return nil
}

// runHook replaces, creates and tracks one hook. parent is the deploy's context, work
// the hooks' (with their timeout).
func (d *Deploy) runHook(parent, work context.Context, event string, h release.Hook, opts *Options, ev *emitter) *failure {
	name := h.String()
	fail := func(detail string, evidence []string) *failure {
		return &failure{reason: interruption(parent, work, opts.Timeout, fmt.Sprintf("%s hook %s: %s", event, name, detail)), evidence: evidence}
	}
	live, err := d.cfg.Applier.Get(work, h.Object.GroupVersionKind(), h.Object.GetNamespace(), h.Object.GetName())
	if err != nil {
		return fail(err.Error(), nil)
	}
	if live != nil {
		if !h.Policy(release.HookBeforeCreation) {
			return fail(fmt.Sprintf("it exists already (left by an earlier run) and its hook-delete-policy lacks %s; delete it or add that policy",
				release.HookBeforeCreation), nil)
		}
		if err := d.deleteAndWait(work, h, ev); err != nil {
			return fail(fmt.Sprintf("delete the previous instance: %v", err), nil)
		}
	}
	ev.step(fmt.Sprintf("%s hook %s (weight %d)", event, name, h.Weight))
	applied, err := d.cfg.Applier.Apply(work, []*unstructured.Unstructured{h.Object}, apply.Options{
		Force: opts.ForceConflicts,
		OnApplied: func(o *unstructured.Unstructured) {
			ev.emit(Event{Kind: Applied, Object: manifest.KeyOf(o).String()})
		},
	})
	if err != nil {
		return fail(fmt.Sprintf("create: %v", err), nil)
	}
	res, err := d.cfg.Tracker.Run(work, asApplied([]*unstructured.Unstructured{h.Object}, applied), ev.track)
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
func (d *Deploy) deleteAndWait(ctx context.Context, h release.Hook, ev *emitter) error {
	deleted, err := d.cfg.Applier.Delete(ctx, []*unstructured.Unstructured{h.Object})
	for _, o := range deleted {
		ev.emit(Event{Kind: Deleted, Object: manifest.KeyOf(o).String(), Message: "previous hook instance (" + release.HookBeforeCreation + ")"})
	}
	if err != nil {
		return err
	}
	t := time.NewTicker(hookPollInterval)
	defer t.Stop()
	for {
		live, err := d.cfg.Applier.Get(ctx, h.Object.GroupVersionKind(), h.Object.GetNamespace(), h.Object.GetName())
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

// deleteHooks deletes hooks by their policy, in order, under its own short deadline so
// that it happens even after a signal. A failed delete is a warning: the hook has run.
func (d *Deploy) deleteHooks(ctx context.Context, hooks []release.Hook, ev *emitter) {
	if len(hooks) == 0 {
		return
	}
	dctx, cancel := detached(ctx, recordTimeout)
	defer cancel()
	for _, h := range hooks {
		deleted, err := d.cfg.Applier.Delete(dctx, []*unstructured.Unstructured{h.Object})
		for _, o := range deleted {
			ev.emit(Event{Kind: Deleted, Object: manifest.KeyOf(o).String(), Message: "hook, by its hook-delete-policy"})
		}
		if err != nil {
			ev.emit(Event{Kind: Warning, Message: fmt.Sprintf("delete hook %s by its hook-delete-policy: %v; delete it by hand", h, err)})
		}
	}
}
