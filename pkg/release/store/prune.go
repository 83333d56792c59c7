package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/shipsafe/shipsafe/pkg/release"
)

// Prune applies a history limit to release name: while it has more than keep revisions,
// it deletes the oldest superseded, failed, rolled-back or uninstalled one. It never
// deletes the latest revision (its number is where the next one counts from), the last
// deployed one, or one that is pending or uninstalling, so a release may keep more than
// keep revisions. keep <= 0 means no limit. It returns the numbers deleted, ascending;
// on error, those deleted before it.
func Prune(ctx context.Context, s Store, name string, keep int) ([]int, error) {
	if keep <= 0 {
		return nil, nil
	}
	revs, err := s.Summaries(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("prune release %s: %w", name, err)
	}
	return PruneSummaries(ctx, s, name, keep, revs)
}

// PruneSummaries is Prune deciding from revs, the summaries of every record of release
// name in ascending order, instead of reading them: for a caller that holds the release's
// lock and knows its history since it last read it.
func PruneSummaries(ctx context.Context, s Store, name string, keep int, revs []*release.Summary) ([]int, error) {
	if keep <= 0 {
		return nil, nil
	}
	latest, deployed := release.LatestSummary(revs), release.LastDeployedSummary(revs)
	excess := len(revs) - keep
	var deleted []int
	for _, r := range revs { // ascending: oldest first
		if excess <= 0 {
			break
		}
		if r == latest || r == deployed || !prunable(r.Status) {
			continue
		}
		err := s.Delete(ctx, name, r.Number)
		switch {
		case err == nil:
			deleted = append(deleted, r.Number)
		case !errors.Is(err, ErrNotFound): // gone already: it no longer counts either way
			return deleted, fmt.Errorf("prune release %s: %w", name, err)
		}
		excess--
	}
	return deleted, nil
}

func prunable(s release.Status) bool {
	switch s {
	case release.StatusSuperseded, release.StatusFailed, release.StatusRolledBack, release.StatusUninstalled:
		return true
	}
	return false
}
