package deploy

import (
	"context"
	"errors"
	"fmt"

	"github.com/shipsafe/shipsafe/pkg/source/helm"
	"github.com/shipsafe/shipsafe/pkg/source/helmrelease"
)

// Import takes over a release that Helm deployed: the objects of Helm's last deployed
// revision become revision 1 of a shipsafe release of the same name, through the usual
// deploy flow (validation, lock, record, server-side apply, tracking). It adopts the
// objects and takes the fields Helm's field manager owns; the values are Helm's own, so
// no pod template changes and no pod restarts. Helm's records are left untouched.
type Import struct {
	cfg *Config
}

// NewImport returns the import action.
func NewImport(cfg *Config) *Import { return &Import{cfg: cfg} }

// Run imports Helm release opts.Release from opts.Namespace. opts.Objects and
// opts.Hooks are ignored: Helm's are used. The hooks are recorded but not run (they ran
// when Helm deployed), so that a later rollback or uninstall runs them; test hooks,
// which shipsafe does not run, are left out. The release must not have shipsafe history
// yet.
func (i *Import) Run(ctx context.Context, opts Options) (*Result, error) {
	revs, err := i.cfg.Store.History(ctx, opts.Release)
	if err != nil {
		return nil, fmt.Errorf("read history of %q: %w", opts.Release, err)
	}
	if len(revs) > 0 {
		return nil, inputErrorf("release %q already has %d shipsafe revisions in %q; import only takes over releases shipsafe does not manage yet",
			opts.Release, len(revs), opts.Namespace)
	}
	rel, err := helmrelease.Load(ctx, i.cfg.Clients.Typed, opts.Namespace, opts.Release)
	if errors.Is(err, helmrelease.ErrNotFound) {
		return nil, &InputError{Err: err}
	}
	if err != nil {
		return nil, err
	}
	opts.Objects = rel.Objects
	opts.Adopt = true
	opts.ForceConflicts = true
	opts.TakeOverFrom = []string{"helm"}
	opts.Source = fmt.Sprintf("helm release %s revision %d (%s)", rel.Name, rel.Revision, rel.Chart)
	opts.Description = fmt.Sprintf("import from Helm revision %d", rel.Revision)
	opts.Hooks, opts.NoHooks = importedHooks(rel.Hooks), true
	if len(rel.Hooks) > 0 {
		msg := fmt.Sprintf("Helm release %q has %d hooks: %d recorded for rollback and uninstall, not run now (they ran when Helm deployed)",
			rel.Name, len(rel.Hooks), len(opts.Hooks))
		if dropped := len(rel.Hooks) - len(opts.Hooks); dropped > 0 {
			msg += fmt.Sprintf("; %d test hooks left out (shipsafe runs no tests)", dropped)
		}
		ev := &emitter{fn: opts.OnEvent, clock: i.cfg.now}
		ev.emit(Event{Kind: Warning, Message: msg})
	}
	return NewDeploy(i.cfg).Run(ctx, opts)
}

// importedHooks converts Helm's recorded hooks, less their test events.
func importedHooks(hooks []helm.Hook) []Hook {
	var out []Hook
	for _, h := range hooks {
		var events []string
		for _, e := range h.Events {
			if e != helm.Test && e != "test-success" {
				events = append(events, e)
			}
		}
		if len(events) > 0 {
			out = append(out, Hook{Object: h.Object, Events: events, Weight: h.Weight, DeletePolicies: h.DeletePolicies})
		}
	}
	return out
}
