package release

import "time"

// Verified is the outcome of a revision's verification checks (its Verification),
// recorded whether they passed or failed, so that history and status show the evidence
// a revision was judged on. A failure's samples are in the revision's Evidence too.
type Verified struct {
	// Passed is true when every check passed its window.
	Passed bool `json:"passed"`
	// Start and End bound the window the checks ran in.
	Start time.Time `json:"start,omitzero"`
	End   time.Time `json:"end,omitzero"`
	// Checks has one line per check: its samples, last value and threshold, baseline.
	Checks []string `json:"checks,omitempty"`
}

// DeepCopy returns a copy of v that shares no memory with it (nil for nil).
func (v *Verified) DeepCopy() *Verified {
	if v == nil {
		return nil
	}
	c := *v
	c.Checks = append([]string(nil), v.Checks...)
	return &c
}
