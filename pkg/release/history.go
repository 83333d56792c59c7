package release

import (
	"cmp"
	"slices"
)

// The helpers below take a release's revisions in any order and never modify them.

// Latest returns the revision with the highest number, or nil for none.
func Latest(revs []*Revision) *Revision {
	var latest *Revision
	for _, r := range revs {
		if r != nil && (latest == nil || r.Number > latest.Number) {
			latest = r
		}
	}
	return latest
}

// LastDeployed returns the highest-numbered deployed revision: the last good state, the
// one a failed deploy rolls back to. It returns nil when no revision is deployed.
func LastDeployed(revs []*Revision) *Revision {
	var last *Revision
	for _, r := range revs {
		if r != nil && r.Status == StatusDeployed && (last == nil || r.Number > last.Number) {
			last = r
		}
	}
	return last
}

// Pending returns the pending revisions in ascending order of number. Under the lock a
// pending revision that the caller did not create itself is stale: its deployer died.
func Pending(revs []*Revision) []*Revision {
	var out []*Revision
	for _, r := range revs {
		if r != nil && r.Status == StatusPending {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b *Revision) int { return cmp.Compare(a.Number, b.Number) })
	return out
}

// NextNumber returns the number a new revision of the release takes: Latest+1, or 1.
func NextNumber(revs []*Revision) int {
	if l := Latest(revs); l != nil {
		return l.Number + 1
	}
	return 1
}
