package release

import "maps"

// AppliedState is what a deploy knows of one object it applied: the digest of the object
// it sent (plan.Digest) and the object's resourceVersion right after that apply. A later
// deploy whose object has the same digest, and whose live object still has that
// resourceVersion (nobody changed or re-created it since), need not apply it again.
type AppliedState struct {
	Digest          string `json:"d"`
	ResourceVersion string `json:"rv"`
}

// cloneApplied returns a copy of m (nil for nil).
func cloneApplied(m map[string]AppliedState) map[string]AppliedState {
	if m == nil {
		return nil
	}
	return maps.Clone(m)
}
