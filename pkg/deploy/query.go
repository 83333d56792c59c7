package deploy

import (
	"context"
	"fmt"

	"github.com/shipsafe/shipsafe/pkg/release"
)

// History returns every recorded revision of a release, oldest first; an InputError
// when the release has none.
func History(ctx context.Context, cfg *Config, name, namespace string) ([]*release.Revision, error) {
	revs, err := cfg.Store.History(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("read history of %q: %w", name, err)
	}
	if len(revs) == 0 {
		return nil, inputErrorf("release %q not found in namespace %q; see `shipsafe list -A`", name, namespace)
	}
	return revs, nil
}

// StatusReport is what `shipsafe status` shows.
type StatusReport struct {
	Release string `json:"release"`
	// Deployed is the revision the cluster runs (nil if none).
	Deployed *release.Revision `json:"deployed,omitempty"`
	// Latest is the newest revision, which differs from Deployed after a failure.
	Latest *release.Revision `json:"latest"`
}

// Status reports the deployed and the latest revision of a release.
func Status(ctx context.Context, cfg *Config, name, namespace string) (*StatusReport, error) {
	revs, err := History(ctx, cfg, name, namespace)
	if err != nil {
		return nil, err
	}
	return &StatusReport{Release: name, Deployed: release.LastDeployed(revs), Latest: release.Latest(revs)}, nil
}
