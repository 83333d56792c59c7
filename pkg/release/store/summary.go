package store

import (
	"encoding/json"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shipsafe/shipsafe/pkg/release"
)

// SummaryKey is the annotation of a record Secret holding its revision's summary
// (release.Summary) as JSON, so that history and list read metadata, not bodies.
// Records written before it existed, or whose summary is over MaxSummarySize, have
// none: readers decode their body instead.
const SummaryKey = "shipsafe.io/summary"

// MaxSummarySize is the most bytes of JSON a record's summary annotation holds; a
// summary over it is written without its evidence and verification check lines, and one
// still over it not at all.
const MaxSummarySize = 32 << 10

// summaryAnnotation returns the summary annotation of rev, or "" when it is too large.
func summaryAnnotation(rev *release.Revision) string {
	sum := rev.Summary()
	sum.Namespace = "" // the Secret's namespace says it
	raw, err := json.Marshal(sum)
	if err == nil && len(raw) > MaxSummarySize {
		sum.Evidence = nil
		if sum.Verified != nil {
			sum.Verified.Checks = nil
		}
		raw, err = json.Marshal(sum)
	}
	if err != nil || len(raw) > MaxSummarySize {
		return ""
	}
	return string(raw)
}

// summaryOf reads the summary of the record Secret with metadata meta from its
// annotation. ok is false when it has none (an older record: decode its body). A
// summary that does not match the Secret's name and labels is an error matching
// ErrDamaged: records are input, and a summary is believed only when it agrees.
func summaryOf(meta *metav1.ObjectMeta) (_ *release.Summary, ok bool, _ error) {
	raw, found := meta.Annotations[SummaryKey]
	if !found {
		return nil, false, nil
	}
	if len(raw) > MaxSummarySize {
		return nil, true, fmt.Errorf("secret %s/%s: %w: its %s annotation is %d bytes, over the %d a summary may have", meta.Namespace, meta.Name, ErrDamaged, SummaryKey, len(raw), MaxSummarySize)
	}
	sum := &release.Summary{}
	if err := json.Unmarshal([]byte(raw), sum); err != nil {
		return nil, true, fmt.Errorf("secret %s/%s: %w: its %s annotation: %w", meta.Namespace, meta.Name, ErrDamaged, SummaryKey, err)
	}
	switch {
	case SecretName(sum.Release, sum.Number) != meta.Name:
		return nil, true, fmt.Errorf("secret %s/%s: %w: its summary is of release %s revision %d, not what its name says", meta.Namespace, meta.Name, ErrDamaged, sum.Release, sum.Number)
	case string(sum.Status) != meta.Labels[LabelStatus] || !sum.Status.Valid():
		return nil, true, fmt.Errorf("secret %s/%s: %w: its summary says status %q, its label %q", meta.Namespace, meta.Name, ErrDamaged, sum.Status, meta.Labels[LabelStatus])
	}
	sum.Namespace = meta.Namespace
	sum.StoreVersion = meta.ResourceVersion
	return sum, true, nil
}
