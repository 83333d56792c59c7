package deploy

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/release/store"
)

// records reads the history of one release for one deploy: summaries (one metadata
// LIST, no bodies) and the bodies of only the revisions the deploy needs, each decoded
// once per deploy: a record read again whose StoreVersion has not changed since is the
// revision already decoded. The zero value is not usable; see newRecords.
type records struct {
	store store.Store
	name  string
	// decoded holds the revisions read whole, by number.
	decoded map[int]*release.Revision
	// counted is the number of records the last call of summaries found, damaged ones
	// included; -1 before the first.
	counted int
	// read are the summaries the last call of summaries returned.
	read []*release.Summary
	// early are the summaries readEarly read before the lock, and earlyCounted the
	// records it found, damaged ones included (-1 before it succeeded): lastDeployed
	// starts from them.
	early        []*release.Summary
	earlyCounted int
}

func newRecords(s store.Store, name string) *records {
	return &records{store: s, name: name, decoded: map[int]*release.Revision{}, counted: -1, earlyCounted: -1}
}

// summaries returns the summaries of the release's readable records and the number a new
// revision takes. A damaged record is skipped with a warning (ev may be nil) and numbered
// past, as readHistory does.
func (r *records) summaries(ctx context.Context, ev *emitter) ([]*release.Summary, int, error) {
	sums, err := r.store.Summaries(ctx, r.name)
	r.counted, r.read = -1, nil
	next := 1
	if l := release.LatestSummary(sums); l != nil {
		next = l.Number + 1
	}
	var damaged *store.DamagedError
	switch {
	case errors.As(err, &damaged):
		for _, d := range damaged.Records {
			if ev != nil {
				ev.warn(fmt.Sprintf("skipped a damaged release record: %v; remove it with `%s`", d.Err, d.RemoveCommand()))
			}
		}
		r.counted, r.read = len(sums)+len(damaged.Records), sums
		return sums, max(next, damaged.Highest()+1), nil
	case err != nil:
		return nil, 0, fmt.Errorf("read history of %q: %w", r.name, err)
	}
	r.counted, r.read = len(sums), sums
	return sums, next, nil
}

// get returns the revision sum summarises, decoding its record only if it was not
// decoded before at the same StoreVersion. The revision returned is the deploy's own: it
// may change it and write it back.
func (r *records) get(ctx context.Context, sum *release.Summary) (*release.Revision, error) {
	if rev, ok := r.decoded[sum.Number]; ok && rev.StoreVersion == sum.StoreVersion {
		return rev, nil
	}
	rev, err := r.store.Get(ctx, r.name, sum.Number)
	if err != nil {
		return nil, fmt.Errorf("read revision %d of %q: %w", sum.Number, r.name, err)
	}
	r.decoded[sum.Number] = rev
	return rev, nil
}

// needed returns, read whole, the revisions of sums a deploy that finds none pending
// works from: the last deployed one, the failed ones newer than it (every failed one
// when none is deployed), whose leftovers it prunes (plan.LeftBehind), and any older one
// still recorded deployed (its supersede write failed), which the deploy supersedes.
func (r *records) needed(ctx context.Context, sums []*release.Summary) ([]*release.Revision, error) {
	last := release.LastDeployedSummary(sums)
	var out []*release.Revision
	for _, s := range sums {
		failedSince := s.Status == release.StatusFailed && (last == nil || s.Number > last.Number)
		if s != last && !failedSince && s.Status != release.StatusDeployed {
			continue
		}
		rev, err := r.get(ctx, s)
		if err != nil {
			return nil, err
		}
		out = append(out, rev)
	}
	return out, nil
}

// withinHistory reports whether the release, as the last summaries read found it (under
// the lock), plus one revision still holds at most limit records: trimming it would find
// nothing to delete. It is false when r is nil or has read no summaries yet.
func (r *records) withinHistory(limit int) bool {
	return r != nil && r.counted >= 0 && r.counted+1 <= limit
}

// afterDeployed returns the history as the last summaries read it (under the lock) after
// rev was written deployed and every other deployed revision superseded (markDeployed):
// ascending, with rev's own summary. It returns nil when r is nil or has read nothing.
func (r *records) afterDeployed(rev *release.Revision) []*release.Summary {
	if r == nil || r.read == nil {
		return nil
	}
	out := make([]*release.Summary, 0, len(r.read)+1)
	for _, s := range r.read {
		if s.Number == rev.Number {
			continue
		}
		c := *s
		if c.Status == release.StatusDeployed {
			c.Status = release.StatusSuperseded
		}
		out = append(out, &c)
	}
	out = append(out, rev.Summary())
	slices.SortFunc(out, func(a, b *release.Summary) int { return cmp.Compare(a.Number, b.Number) })
	return out
}

// readEarly reads the summaries before the lock, for lastDeployed to start from. Before
// the lock they are a hint only.
func (r *records) readEarly(ctx context.Context) ([]*release.Summary, error) {
	sums, _, err := r.summaries(ctx, nil)
	if err != nil {
		return nil, err
	}
	r.early, r.earlyCounted = sums, r.counted
	return sums, nil
}

// unchangedSinceEarly reports whether the summaries read last (under the lock) are those
// readEarly read: the same records, damaged ones included, at the same StoreVersions. It
// is false when either read is missing.
func (r *records) unchangedSinceEarly() bool {
	if r.earlyCounted < 0 || r.counted != r.earlyCounted || len(r.read) != len(r.early) {
		return false
	}
	for i, s := range r.read {
		e := r.early[i]
		if s.Number != e.Number || s.Namespace != e.Namespace || s.StoreVersion != e.StoreVersion || s.Status != e.Status {
			return false
		}
	}
	return true
}

// lastDeployed returns the last deployed revision, read whole, or nil, from the
// summaries readEarly read (read now if it did not). Before the lock is taken it is a
// hint only (see newListing).
func (r *records) lastDeployed(ctx context.Context) (*release.Revision, error) {
	sums := r.early
	if sums == nil {
		var err error
		if sums, _, err = r.summaries(ctx, nil); err != nil {
			return nil, err
		}
	}
	last := release.LastDeployedSummary(sums)
	if last == nil {
		return nil, nil
	}
	return r.get(ctx, last)
}
