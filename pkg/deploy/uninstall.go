package deploy

import (
	"time"

	"context"
	"fmt"

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
	OnEvent  func(Event)
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
// created, then records the release as uninstalled (or deletes its records with Purge).
func (u *Uninstall) Run(ctx context.Context, opts UninstallOptions) (*UninstallResult, error) {
	ev := &emitter{fn: opts.OnEvent, clock: u.cfg.now}
	revs, err := u.cfg.Store.History(ctx, opts.Release)
	if err != nil {
		return nil, fmt.Errorf("read history of %q: %w", opts.Release, err)
	}
	if len(revs) == 0 {
		return nil, inputErrorf("release %q not found in namespace %q; see `shipsafe list -A`", opts.Release, opts.Namespace)
	}
	lock, err := u.cfg.locker(opts.Namespace, opts.Release).Acquire(ctx, opts.LockWait)
	if err != nil {
		return nil, fmt.Errorf("lock release %q: %w", opts.Release, err)
	}
	defer func() {
		rctx, cancel := detached(ctx, recordTimeout)
		defer cancel()
		_ = lock.Release(rctx)
	}()

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
	if current != nil {
		for _, o := range current.Objects {
			add(o)
		}
		if current.Status == release.StatusDeployed {
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
			add(refObject(ref))
		}
	}
	for _, o := range left {
		add(o)
	}
	ev.step(fmt.Sprintf("deleting %d objects of release %q", len(objs), opts.Release))
	rctx, cancel := detached(ctx, DefaultRollbackTimeout)
	defer cancel()
	deleted, err := u.cfg.Applier.Delete(rctx, objs)
	res := &UninstallResult{Release: opts.Release}
	for _, o := range deleted {
		name := manifest.KeyOf(o).String()
		res.Deleted = append(res.Deleted, name)
		ev.emit(Event{Kind: Deleted, Object: name})
	}
	if err != nil {
		return res, fmt.Errorf("uninstall %q: %w; run uninstall again to retry", opts.Release, err)
	}
	if opts.Purge {
		for _, r := range revs {
			if err := u.cfg.Store.Delete(rctx, r.Release, r.Number); err != nil {
				return res, fmt.Errorf("purge revision %d of %q: %w", r.Number, r.Release, err)
			}
		}
		res.Purged = true
		return res, nil
	}
	if current != nil {
		if err := current.Transition(release.StatusUninstalled, u.cfg.now()); err != nil {
			return res, err
		}
		if err := u.cfg.Store.Update(rctx, current); err != nil {
			return res, fmt.Errorf("record revision %d as uninstalled: %w", current.Number, err)
		}
	}
	return res, nil
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
