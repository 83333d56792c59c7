package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/apply"
	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/plan"
	"github.com/shipsafe/shipsafe/pkg/release"
)

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
// after a failed deploy runs no hooks: it must not be stopped by one. Test hooks
// (release.HookTest) are recorded and never run, as Helm keeps them for `helm test`; a
// hook with an event Helm does not know is refused before anything changes, never
// skipped.

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
			if e != release.HookTest && !slices.Contains(release.HookEvents(), e) {
				errs = append(errs, fmt.Errorf("hook %s: hook kind %q is not supported by shipsafe, which knows only %s and %s hooks; "+
					"fix the chart's helm.sh/hook annotation, or leave the hook out with --skip-hooks %s",
					h, e, strings.Join(release.HookEvents(), ", "), release.HookTest, e))
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
func (d *Deploy) prepareHooks(ctx context.Context, opts *spec) error {
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
	norm, err := plan.Normalize(d.cfg.Mapper, all, opts.Release, opts.Namespace)
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
	existing, err := d.cfg.Cluster.Existing(ctx, hookObjs)
	if err != nil {
		return &InputError{Err: fmt.Errorf("read the cluster: %w; check the cluster is reachable and you may list these kinds", err)}
	}
	// Test hooks are never created by a deploy: what `helm test` left of them is not
	// taken over or refused.
	var run []*unstructured.Unstructured
	for _, h := range prepared {
		if !testOnly(h) {
			run = append(run, h.Object)
		}
	}
	if err := plan.CheckOwnership(run, existing, manifest.Owner{Namespace: opts.Namespace, Name: opts.Release}, opts.Adopt); err != nil {
		return err
	}
	// Only hooks that do not exist yet: an existing Job, whose template is immutable,
	// is replaced (before-hook-creation), not updated.
	isHook := manifest.Index(hookObjs)
	var fresh []*unstructured.Unstructured
	for _, o := range opts.notInMissingNamespace(plan.DryRunnable(norm, existing)) {
		k := manifest.KeyOf(o)
		if _, ok := existing[k]; !ok && isHook[k] != nil {
			fresh = append(fresh, o)
		}
	}
	if _, err := d.cfg.Cluster.Apply(ctx, fresh, apply.Options{DryRun: true, Force: opts.ForceConflicts}); err != nil {
		return &InputError{Err: fmt.Errorf("validation of hooks (server-side dry run) failed, nothing was changed:\n%w", err)}
	}
	opts.Hooks = prepared
	return nil
}

// testOnly reports whether h runs on no event but release.HookTest: deploy never
// creates it.
func testOnly(h release.Hook) bool {
	return len(h.Events) > 0 && !slices.ContainsFunc(h.Events, func(e string) bool { return e != release.HookTest })
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
