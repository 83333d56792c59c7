package deploy

import (
	"context"
	"errors"
	"fmt"

	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/release/store"
)

// History returns every recorded revision of a release, oldest first; an InputError
// when the release has none. When some records are damaged it returns the others
// together with a *store.DamagedError naming them (see store.Store.History).
func History(ctx context.Context, cfg *Config, name, namespace string) ([]*release.Revision, error) {
	revs, err := cfg.Store.History(ctx, name)
	var damaged *store.DamagedError
	if err != nil && !errors.As(err, &damaged) {
		return nil, fmt.Errorf("read history of %q: %w", name, err)
	}
	if len(revs) == 0 {
		return nil, errors.Join(inputErrorf("release %q not found in namespace %q; see `shipsafe list -A`", name, namespace), err)
	}
	return revs, err
}

// StatusReport is what `shipsafe status` shows.
type StatusReport struct {
	Release string `json:"release"`
	// Deployed is the revision the cluster runs (nil if none).
	Deployed *release.Revision `json:"deployed,omitempty"`
	// Latest is the newest revision, which differs from Deployed after a failure.
	Latest *release.Revision `json:"latest"`
}

// Status reports the deployed and the latest revision of a release, from the records
// that can be read; damaged ones are returned with the report as History returns them.
func Status(ctx context.Context, cfg *Config, name, namespace string) (*StatusReport, error) {
	revs, err := History(ctx, cfg, name, namespace)
	if len(revs) == 0 {
		return nil, err
	}
	return &StatusReport{Release: name, Deployed: release.LastDeployed(revs), Latest: release.Latest(revs)}, err
}
