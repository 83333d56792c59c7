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

// Summaries returns the summaries of every recorded revision of a release, oldest first
// (store.Store.Summaries: no record bodies are read); errors as History's.
func Summaries(ctx context.Context, cfg *Config, name, namespace string) ([]*release.Summary, error) {
	sums, err := cfg.Store.Summaries(ctx, name)
	var damaged *store.DamagedError
	if err != nil && !errors.As(err, &damaged) {
		return nil, fmt.Errorf("read history of %q: %w", name, err)
	}
	if len(sums) == 0 {
		return nil, errors.Join(inputErrorf("release %q not found in namespace %q; see `shipsafe list -A`", name, namespace), err)
	}
	return sums, err
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
// It reads the summaries and the bodies of those two revisions only.
func Status(ctx context.Context, cfg *Config, name, namespace string) (*StatusReport, error) {
	sums, err := Summaries(ctx, cfg, name, namespace)
	if len(sums) == 0 {
		return nil, err
	}
	rep := &StatusReport{Release: name}
	get := func(s *release.Summary) (*release.Revision, error) {
		if s == nil {
			return nil, nil
		}
		rev, err := cfg.Store.Get(ctx, name, s.Number)
		if err != nil {
			return nil, fmt.Errorf("status of %q: %w", name, err)
		}
		return rev, nil
	}
	var gerr error
	if rep.Deployed, gerr = get(release.LastDeployedSummary(sums)); gerr != nil {
		return nil, gerr
	}
	latest := release.LatestSummary(sums)
	if rep.Deployed != nil && latest.Number == rep.Deployed.Number {
		rep.Latest = rep.Deployed
	} else if rep.Latest, gerr = get(latest); gerr != nil {
		return nil, gerr
	}
	return rep, err
}
