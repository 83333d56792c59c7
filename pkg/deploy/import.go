package deploy

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/release"
)

// Imported is a release another tool deployed (Helm's last deployed revision), as Import
// takes it over.
type Imported struct {
	// Name and Revision are the other tool's release name and revision number.
	Name     string
	Revision int
	// Chart names what was deployed ("web-1.2.0").
	Chart   string
	Objects []*unstructured.Unstructured
	// Hooks are the release's hooks that shipsafe runs later (rollback, uninstall).
	Hooks []release.Hook
	// TestHooks counts the hooks left out of Hooks because they only run as tests.
	TestHooks int
}

// ImportOptions are the inputs of Import.
type ImportOptions struct {
	Release   string
	Namespace string
	// Read loads the release to import (package helmrelease reads Helm's). It is called
	// after the release is found to have no shipsafe history; an error that is an
	// *InputError means the release is not there to import.
	Read func(ctx context.Context) (*Imported, error)
	// RunOptions are those of the deploy that takes the release over; Adopt and
	// ForceConflicts are always on.
	RunOptions
}

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

// Run imports the release opts.Read returns. Its hooks are recorded but not run (they
// ran when Helm deployed), so that a later rollback or uninstall runs them. The release
// must not have shipsafe history yet.
func (i *Import) Run(ctx context.Context, opts ImportOptions) (*Result, error) {
	revs, err := i.cfg.Store.History(ctx, opts.Release)
	if err != nil {
		return nil, fmt.Errorf("read history of %q: %w", opts.Release, err)
	}
	if len(revs) > 0 {
		return nil, inputErrorf("release %q already has %d shipsafe revisions in %q; import only takes over releases shipsafe does not manage yet",
			opts.Release, len(revs), opts.Namespace)
	}
	rel, err := opts.Read(ctx)
	if err != nil {
		return nil, err
	}
	run := opts.RunOptions
	run.Adopt, run.ForceConflicts = true, true
	s := spec{
		DeployOptions: DeployOptions{
			Release: opts.Release, Namespace: opts.Namespace, Objects: rel.Objects, Hooks: rel.Hooks,
			Source: fmt.Sprintf("helm release %s revision %d (%s)", rel.Name, rel.Revision, rel.Chart), RunOptions: run,
		},
		description:  fmt.Sprintf("import from Helm revision %d", rel.Revision),
		noHooks:      true,
		takeOverFrom: []string{"helm"},
	}
	if n := len(rel.Hooks) + rel.TestHooks; n > 0 {
		msg := fmt.Sprintf("Helm release %q has %d hooks: %d recorded for rollback and uninstall, not run now (they ran when Helm deployed)",
			rel.Name, n, len(rel.Hooks))
		if rel.TestHooks > 0 {
			msg += fmt.Sprintf("; %d test hooks left out (shipsafe runs no tests)", rel.TestHooks)
		}
		newEmitter(opts.OnEvent, i.cfg.now).warn(msg)
	}
	return NewDeploy(i.cfg).run(ctx, s)
}
