package release

import (
	"maps"

	"k8s.io/apimachinery/pkg/types"
)

// AppliedState is what a deploy knows of one object it applied: the digest of the object
// it sent (plan.Digest), and the object's resourceVersion and generation right after that
// apply. A later deploy whose object has the same digest need not apply it again when
// the live object still has that resourceVersion (nobody changed or re-created it
// since), or, for kinds whose API server counts generations, is the same object (UID)
// with that generation and the labels and annotations applied (only its status, or fields of others, changed:
// a Deployment's controller writes its status after every apply).
type AppliedState struct {
	Digest          string `json:"d"`
	ResourceVersion string `json:"rv"`
	// Generation and UID are recorded only for kinds whose API server counts
	// generations (Generation > 0).
	Generation int64     `json:"g,omitempty"`
	UID        types.UID `json:"u,omitempty"`
}

// cloneApplied returns a copy of m (nil for nil).
func cloneApplied(m map[string]AppliedState) map[string]AppliedState {
	if m == nil {
		return nil
	}
	return maps.Clone(m)
}
