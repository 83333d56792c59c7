package deploy

import (
	"context"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/plan"
	"github.com/shipsafe/shipsafe/pkg/release"
)

// lastDeployedBeforeLock starts reading the last deployed revision of the release from
// recs and returns the function that waits for it: nil when there is none or the read
// failed (then everything is validated). Before the lock it is a hint only: the decision
// that counts is made again under the lock (recordPending), where the revision decoded
// here is used again unless its record changed since (records). recs must not be used
// until the wait returns; it may be called again.
func lastDeployedBeforeLock(ctx context.Context, recs *records) func() *release.Revision {
	done := make(chan *release.Revision, 1)
	go func() {
		last, err := recs.lastDeployed(ctx)
		if err != nil {
			last = nil
		}
		done <- last
	}()
	return sync.OnceValue(func() *release.Revision { return <-done })
}

// listing is what one metadata LIST of the cluster found (apply.Applier.Existing) and
// what was worked out from it: which of the objects last (the last deployed revision
// as then known) applied as they are and nobody changed since (plan.Unchanged; known is
// false when that could not be told).
type listing struct {
	existing  map[manifest.Key]*metav1.ObjectMeta
	last      *release.Revision
	unchanged map[string]release.AppliedState
	known     bool
}

// newListing returns the listing of objs that existing found, working out their
// unchanged state against last.
func newListing(last *release.Revision, objs []*unstructured.Unstructured, existing map[manifest.Key]*metav1.ObjectMeta) *listing {
	l := &listing{existing: existing, last: last}
	unchanged, err := plan.Unchanged(objs, last, existing)
	if err == nil {
		l.unchanged, l.known = unchanged, true
	}
	return l
}

// stillValid returns l, made by prepare before the lock, when the lock is held and what
// l was read with still holds: the history read under the lock is the one read before it
// (records.unchangedSinceEarly: no deploy, rollback or uninstall of the release wrote
// meanwhile; each of them writes a record under the lock), and the release namespace
// existed (nothing was created since l was read). The lock keeps shipsafe out of the
// release's objects, never people or controllers: a list under the lock would be no
// fresher for them by the time objects are applied. It returns nil otherwise: the caller
// lists again.
func (l *listing) stillValid(s *spec) *listing {
	if l == nil || s.namespaceMissing || !s.records.unchangedSinceEarly() {
		return nil
	}
	return l
}

// appliedKeys returns the keys of objs as strings, for Result.Applied.
func appliedKeys(objs []*unstructured.Unstructured) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = manifest.KeyOf(o).String()
	}
	return out
}
