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
	"github.com/shipsafe/shipsafe/pkg/release"
)

// Hook events: the pre- ones run before the operation changes the release's objects,
// the post- ones after they are all ready (or, for delete, gone). Deploy runs *-install
// on a release's first deploy (no deployed revision yet) and *-upgrade on every later
// one; Rollback runs the *-rollback hooks of the revision it goes back to; Uninstall
// runs the *-delete hooks of the deployed revision.
const (
	HookPreInstall   = "pre-install"
	HookPostInstall  = "post-install"
	HookPreUpgrade   = "pre-upgrade"
	HookPostUpgrade  = "post-upgrade"
	HookPreRollback  = "pre-rollback"
	HookPostRollback = "post-rollback"
	HookPreDelete    = "pre-delete"
	HookPostDelete   = "post-delete"
)

// Hook delete policies.
const (
	// HookBeforeCreation deletes the previous instance before the hook is created; it
	// is the policy of a hook that names none.
	HookBeforeCreation = "before-hook-creation"
	// HookDeleteSucceeded deletes the hook once every hook of its event has succeeded.
	HookDeleteSucceeded = "hook-succeeded"
	// HookDeleteFailed deletes the hook when it fails.
	HookDeleteFailed = "hook-failed"
)

// hookPollInterval is how often a deleted hook is checked for being gone.
const hookPollInterval = 250 * time.Millisecond

// Hook is an object that runs at a moment of a deploy instead of being one of the
// release's objects, as Helm's hooks (annotation helm.sh/hook) do. Each runs alone, in
// order of Weight then name: it is created (server-side apply, after its previous
// instance is deleted by before-hook-creation), then tracked until ready by the same
// health rules as any object (a Job complete, a Pod succeeded or ready, a ConfigMap at
// once), and a hook that fails fails the deploy, which is rolled back as usual. A hook
// that exists when it is to run and whose policies lack before-hook-creation fails, as
// Helm's create would.
//
// Hooks are recorded in the revision (release.Hook), apart from its objects, and are
// never pruned: what stays of them after a run is what their delete policies leave. An
// automatic rollback after a failed deploy runs no hooks: it must not be stopped by one.
// A hook with an event Helm has but shipsafe does not run (test) or one Helm does not
// know is refused before anything changes, never skipped.
type Hook struct {
	Object *unstructured.Unstructured
	// Events say when the hook runs ("pre-upgrade"...).
	Events []string
	// Weight orders the hooks of one event, lowest first.
	Weight int
	// DeletePolicies are HookBeforeCreation, HookDeleteSucceeded and HookDeleteFailed;
	// none means HookBeforeCreation.
	DeletePolicies []string
}

func (h Hook) has(event string) bool { return slices.Contains(h.Events, event) }

func (h Hook) policy(p string) bool {
	if len(h.DeletePolicies) == 0 {
		return p == HookBeforeCreation
	}
	return slices.Contains(h.DeletePolicies, p)
}

// String names the hook's object: "batch/Job prod/migrate".
func (h Hook) String() string { return manifest.KeyOf(h.Object).String() }

// supportedEvents are the hook events shipsafe runs.
func supportedEvents() []string {
	return []string{HookPreInstall, HookPostInstall, HookPreUpgrade, HookPostUpgrade,
		HookPreRollback, HookPostRollback, HookPreDelete, HookPostDelete}
}

// recorded returns hooks as a revision records them.
func recorded(hooks []Hook) []release.Hook {
	out := make([]release.Hook, 0, len(hooks))
	for _, h := range hooks {
		out = append(out, release.Hook(h))
	}
	return out
}

// hooksOf returns the hooks rev recorded.
func hooksOf(rev *release.Revision) []Hook {
	out := make([]Hook, 0, len(rev.Hooks))
	for _, h := range rev.Hooks {
		out = append(out, Hook(h))
	}
	return out
}

// knownPolicies are the hook delete policies Deploy applies.
func knownPolicies() []string {
	return []string{HookBeforeCreation, HookDeleteSucceeded, HookDeleteFailed}
}

// checkHooks refuses hooks shipsafe does not run and policies it does not know.
func checkHooks(hooks []Hook) error {
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
			if !slices.Contains(supportedEvents(), e) {
				errs = append(errs, fmt.Errorf("hook %s: hook kind %q is not supported by shipsafe, which runs only %s hooks; "+
					"remove the hook from the chart (or its helm.sh/hook annotation), or leave it out with --skip-hooks %s and run it yourself",
					h, e, strings.Join(supportedEvents(), ", "), e))
			}
		}
		for _, p := range h.DeletePolicies {
			if !slices.Contains(knownPolicies(), p) {
				errs = append(errs, fmt.Errorf("hook %s: unknown hook-delete-policy %q; use %s", h, p, strings.Join(knownPolicies(), ", ")))
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
	norm, err := Normalize(d.cfg.Clients.Mapper, all, opts.Release, opts.Namespace)
	if err != nil {
		return err
	}
	hookObjs := norm[len(opts.Objects):]
	prepared := make([]Hook, len(opts.Hooks))
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
	if err := checkOwnership(hookObjs, existing, opts); err != nil {
		return err
	}
	// Only hooks that do not exist yet: an existing Job, whose template is immutable,
	// is replaced (before-hook-creation), not updated.
	isHook := manifest.Index(hookObjs)
	var fresh []*unstructured.Unstructured
	for _, o := range DryRunnable(norm, existing) {
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
func hooksFor(hooks []Hook, event string) []Hook {
	var out []Hook
	for _, h := range hooks {
		if h.has(event) {
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
		return HookPreRollback, HookPostRollback
	case install:
		return HookPreInstall, HookPostInstall
	}
	return HookPreUpgrade, HookPostUpgrade
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
			if h.policy(HookDeleteFailed) {
				d.deleteHooks(ctx, []Hook{h}, ev)
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
func (d *Deploy) runHook(parent, work context.Context, event string, h Hook, opts *Options, ev *emitter) *failure {
	name := h.String()
	fail := func(detail string, evidence []string) *failure {
		return &failure{reason: interruption(parent, work, opts.Timeout, fmt.Sprintf("%s hook %s: %s", event, name, detail)), evidence: evidence}
	}
	live, err := d.cfg.Applier.Get(work, h.Object.GroupVersionKind(), h.Object.GetNamespace(), h.Object.GetName())
	if err != nil {
		return fail(err.Error(), nil)
	}
	if live != nil {
		if !h.policy(HookBeforeCreation) {
			return fail(fmt.Sprintf("it exists already (left by an earlier run) and its hook-delete-policy lacks %s; delete it or add that policy",
				HookBeforeCreation), nil)
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
func (d *Deploy) deleteAndWait(ctx context.Context, h Hook, ev *emitter) error {
	deleted, err := d.cfg.Applier.Delete(ctx, []*unstructured.Unstructured{h.Object})
	for _, o := range deleted {
		ev.emit(Event{Kind: Deleted, Object: manifest.KeyOf(o).String(), Message: "previous hook instance (" + HookBeforeCreation + ")"})
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
func succeededToDelete(hooks []Hook) []Hook {
	var out []Hook
	for i := len(hooks) - 1; i >= 0; i-- {
		if hooks[i].policy(HookDeleteSucceeded) {
			out = append(out, hooks[i])
		}
	}
	return out
}

// deleteHooks deletes hooks by their policy, in order, under its own short deadline so
// that it happens even after a signal. A failed delete is a warning: the hook has run.
func (d *Deploy) deleteHooks(ctx context.Context, hooks []Hook, ev *emitter) {
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
