package deploy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/release"
)

// UninstallOptions are the inputs of Uninstall.
type UninstallOptions struct {
	Release, Namespace string
	// Purge deletes the release's records too; otherwise history is kept.
	Purge    bool
	LockWait time.Duration
	// DeleteCRDs deletes the CRDs of the release's chart's crds/ directories that the
	// release owns (--delete-crds), and with them every custom resource of their kinds
	// in the whole cluster. Without it they stay, without the release's ownership.
	DeleteCRDs bool
	// NoHooks runs none of the deployed revision's pre-delete and post-delete hooks.
	NoHooks bool
	// HookTimeout bounds the hooks of each event (DefaultTimeout when 0).
	HookTimeout time.Duration
	OnEvent     func(Event)
}

// UninstallResult says what Uninstall removed.
type UninstallResult struct {
	Release string   `json:"release"`
	Deleted []string `json:"deleted"`
	Purged  bool     `json:"purged"`
}

// Uninstall deletes a release's objects, keeping its history unless purged.
type Uninstall struct {
	cfg *Config
}

// NewUninstall returns the uninstall action.
func NewUninstall(cfg *Config) *Uninstall { return &Uninstall{cfg: cfg} }

// Run deletes every object of the deployed revision and everything a pending revision
// created, except the CRDs of its chart's crds/ (unless opts.DeleteCRDs) and objects
// marked with a keep policy, which stay without the release's ownership; then it records the release as uninstalled (or deletes its records with Purge).
// The deployed revision's pre-delete hooks run first: one that fails stops the uninstall
// before anything is deleted. Its post-delete hooks run after the objects are gone: one
// that fails is reported, but the release is recorded as uninstalled, as Helm does.
func (u *Uninstall) Run(ctx context.Context, opts UninstallOptions) (_ *UninstallResult, err error) {
	ev := newEmitter(opts.OnEvent, u.cfg.now)
	revs, _, err := readHistory(ctx, u.cfg, opts.Release, ev)
	if err != nil {
		return nil, err
	}
	if len(revs) == 0 {
		return nil, inputErrorf("release %q not found in namespace %q; see `shipsafe list -A`", opts.Release, opts.Namespace)
	}
	lock, err := u.cfg.Locker.Acquire(ctx, opts.Namespace, opts.Release, opts.LockWait)
	if err != nil {
		return nil, fmt.Errorf("lock release %q: %w", opts.Release, err)
	}
	defer releaseLock(ctx, lock, opts.Release, ev)
	// Fencing, as in Deploy.run: once the lock is lost no write passes (the Locker's
	// fence), and the error says so.
	defer func() { err = lockLost(opts.Release, err) }()

	// A revision still uninstalling is one whose uninstall failed part way: retrying
	// must delete its objects too.
	current := release.LastDeployed(revs)
	if current == nil {
		current = lastUninstalling(revs)
	}
	left, err := leftovers(ctx, u.cfg, revs, current)
	if err != nil {
		return nil, fmt.Errorf("uninstall %q: %w", opts.Release, err)
	}
	var objs []*unstructured.Unstructured
	seen := map[manifest.Key]bool{}
	add := func(o *unstructured.Unstructured) {
		if k := manifest.KeyOf(o); !seen[k] {
			seen[k] = true
			objs = append(objs, o)
		}
	}
	hooks := u.hookRunner(current, opts, ev)
	if current != nil {
		for _, o := range current.Objects {
			add(o)
		}
		if current.Status == release.StatusDeployed {
			if f := hooks.run(ctx, release.HookPreDelete); f != nil {
				return nil, fmt.Errorf("uninstall %q stopped before deleting anything: %s; fix the hook and run uninstall again, or pass --no-hooks%s",
					opts.Release, f.reason, f.evidenceLines())
			}
			if err := current.Transition(release.StatusUninstalling, u.cfg.now()); err != nil {
				return nil, err
			}
			if err := u.cfg.Store.Update(ctx, current); err != nil {
				return nil, fmt.Errorf("record revision %d as uninstalling: %w", current.Number, err)
			}
		}
	}
	for _, p := range release.Pending(revs) {
		for _, ref := range p.Created {
			add(ref.Shell())
		}
	}
	for _, o := range left {
		add(o)
	}
	// The chart's CRDs the release's deploys found and left as they were are not among
	// its objects, but those the release owns are its own: Delete takes only those.
	for _, o := range crdShells(chartCRDs(current)) {
		add(o)
	}
	delOpts := deleteOptions(manifest.Owner{Namespace: opts.Namespace, Name: opts.Release}, ev)
	if !opts.DeleteCRDs {
		delOpts.Keep = keepChartCRDs(revs...)
	}
	objs = withoutReleaseNamespace(objs, opts.Namespace, ev)
	ev.step(fmt.Sprintf("deleting %d objects of release %q", len(objs), opts.Release))
	rctx, cancel := detached(ctx, DefaultRollbackTimeout)
	defer cancel()
	deleted, err := u.cfg.Cluster.Delete(rctx, objs, delOpts)
	res := &UninstallResult{Release: opts.Release}
	for _, o := range deleted {
		name := manifest.KeyOf(o).String()
		res.Deleted = append(res.Deleted, name)
		ev.emit(Event{Kind: Deleted, Object: name})
	}
	if err != nil {
		return res, fmt.Errorf("uninstall %q: %w; run uninstall again to retry", opts.Release, err)
	}
	var hookErr error
	if f := hooks.run(ctx, release.HookPostDelete); f != nil {
		hookErr = fmt.Errorf("release %q is uninstalled, but %s; do by hand what the hook was to do%s", opts.Release, f.reason, f.evidenceLines())
	}
	if err := u.record(rctx, revs, current, opts.Purge); err != nil {
		return res, errors.Join(err, hookErr)
	}
	res.Purged = opts.Purge
	return res, hookErr
}

// record deletes the release's records (purge) or records current as uninstalled.
func (u *Uninstall) record(ctx context.Context, revs []*release.Revision, current *release.Revision, purge bool) error {
	if purge {
		for _, r := range revs {
			if err := u.cfg.Store.Delete(ctx, r.Release, r.Number); err != nil {
				return fmt.Errorf("purge revision %d of %q: %w", r.Number, r.Release, err)
			}
		}
		return nil
	}
	if current == nil {
		return nil
	}
	if err := current.Transition(release.StatusUninstalled, u.cfg.now()); err != nil {
		return err
	}
	if err := u.cfg.Store.Update(ctx, current); err != nil {
		return fmt.Errorf("record revision %d as uninstalled: %w", current.Number, err)
	}
	return nil
}

// hookRunner returns the runner of current's delete hooks (none without current).
func (u *Uninstall) hookRunner(current *release.Revision, opts UninstallOptions, ev *emitter) *hookRunner {
	r := &hookRunner{cfg: u.cfg, ev: ev, owner: manifest.Owner{Namespace: opts.Namespace, Name: opts.Release}, skip: opts.NoHooks, timeout: opts.HookTimeout}
	if current != nil {
		r.hooks = current.Hooks
	}
	if r.timeout <= 0 {
		r.timeout = DefaultTimeout
	}
	return r
}

// lastUninstalling returns the highest-numbered revision whose uninstall did not finish,
// or nil.
func lastUninstalling(revs []*release.Revision) *release.Revision {
	var last *release.Revision
	for _, r := range revs {
		if r.Status == release.StatusUninstalling && (last == nil || r.Number > last.Number) {
			last = r
		}
	}
	return last
}
