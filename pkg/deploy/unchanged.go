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

// unchangedBeforeLock returns the objs that last (lastDeployedBeforeLock) applied as they
// are and that nobody changed since (plan.Unchanged), as known before the lock is taken:
// prepare validates only the others.
func unchangedBeforeLock(last *release.Revision, objs []*unstructured.Unstructured, existing map[manifest.Key]*metav1.ObjectMeta) map[string]release.AppliedState {
	if last == nil {
		return nil
	}
	unchanged, err := plan.Unchanged(objs, last, existing)
	if err != nil {
		return nil
	}
	return unchanged
}

// appliedKeys returns the keys of objs as strings, for Result.Applied.
func appliedKeys(objs []*unstructured.Unstructured) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = manifest.KeyOf(o).String()
	}
	return out
}
