package plan

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/release"
)

// Adopting returns those objs that exist (in existing, as returned by
// apply.Applier.Existing) and that rel does not own (manifest.Owner.Owns): the objects a
// deploy of rel takes over (--adopt, an import), whose state before it must be recorded
// so that a failed deploy can put them back.
func Adopting(objs []*unstructured.Unstructured, existing map[manifest.Key]*metav1.ObjectMeta, rel manifest.Owner) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if live, ok := existing[manifest.KeyOf(o)]; ok && !rel.Owns(live.Labels, live.Annotations) {
			out = append(out, o)
		}
	}
	return out
}

// ChangedSinceAdopted says why live, an object that a revision of rel adopted and
// applied as desired, must not be put back as it was before that revision: it belongs
// to another owner now, or it changed since that apply (was, the AppliedState the
// revision recorded, when recorded is true: see untouched; a Deployment whose controller
// only wrote its status is unchanged). Without a recorded apply (the deploy was killed
// while applying, or its apply failed), only ownership decides: the object carries rel's
// ownership only if the revision applied it. "" means it may be put back.
func ChangedSinceAdopted(live, desired *unstructured.Unstructured, was release.AppliedState, recorded bool, rel manifest.Owner) string {
	labels, annotations := live.GetLabels(), live.GetAnnotations()
	if !rel.Owns(labels, annotations) {
		return fmt.Sprintf("belongs to %s now, not %s: left as it is", manifest.DescribeOwner(labels, annotations), rel)
	}
	meta := &metav1.ObjectMeta{
		UID: live.GetUID(), ResourceVersion: live.GetResourceVersion(), Generation: live.GetGeneration(),
		Labels: labels, Annotations: annotations,
	}
	if recorded && !untouched(desired, was, meta) {
		return "changed by someone else since the deploy applied it: left as it is, not put back as it was before; check it by hand"
	}
	return ""
}
