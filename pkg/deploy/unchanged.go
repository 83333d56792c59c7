package deploy

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/plan"
	"github.com/shipsafe/shipsafe/pkg/release"
)

// unchangedBeforeLock returns the objs that the last deployed revision of rel applied
// as they are and that nobody changed since (plan.Unchanged), as known before the lock
// is taken: prepare validates only the others. The decision that counts is made again
// under the lock (recordPending); a failed read here only means everything is validated.
// The last deployed revision is decoded here once; under the lock it is used again
// unless its record changed since (records).
func (d *Deploy) unchangedBeforeLock(ctx context.Context, recs *records, objs []*unstructured.Unstructured, existing map[manifest.Key]*metav1.ObjectMeta) map[string]release.AppliedState {
	last, err := recs.lastDeployed(ctx)
	if err != nil {
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
