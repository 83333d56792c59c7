package release

import (
	"time"
)

// Summary is what `history` and `list` show of a revision: everything but its bodies
// (objects, hooks, the Verification object, applied state, chart values and notes). Stores can read
// it without decoding a record (the Secret store keeps it in the record's metadata), so
// reading the history of many revisions, or the latest revision of many releases, costs
// no record bodies.
type Summary struct {
	Release   string `json:"release"`
	Namespace string `json:"namespace,omitempty"`
	Number    int    `json:"number"`
	Status    Status `json:"status"`
	// Objects is how many objects the revision has.
	Objects     int      `json:"objects"`
	Description string   `json:"description,omitempty"`
	Reason      string   `json:"reason,omitempty"`
	Evidence    []string `json:"evidence,omitempty"`
	// Verified is the revision's verification outcome (Revision.Verified).
	Verified     *Verified `json:"verified,omitempty"`
	RolledBackTo int       `json:"rolledBackTo,omitempty"`
	Source       string    `json:"source,omitempty"`
	Holder       string    `json:"holder,omitempty"`
	StartedAt    time.Time `json:"startedAt,omitzero"`
	UpdatedAt    time.Time `json:"updatedAt,omitzero"`
	FinishedAt   time.Time `json:"finishedAt,omitzero"`
	// Chart names the chart without its values and notes (nil: not from a chart).
	Chart    *Chart    `json:"chart,omitempty"`
	Progress *Progress `json:"progress,omitempty"`
	// Labels are the user's labels of the record (Revision.Labels).
	Labels map[string]string `json:"labels,omitempty"`
	// StoreVersion is the store's version of the record the summary was read from
	// (Revision.StoreVersion): a revision read later with the same StoreVersion is the
	// same record. It is not part of the record.
	StoreVersion string `json:"-"`
}

// Summary returns the summary of r (nil for nil). It shares no memory with r.
func (r *Revision) Summary() *Summary {
	if r == nil {
		return nil
	}
	s := &Summary{
		Release: r.Release, Namespace: r.Namespace, Number: r.Number, Status: r.Status,
		Objects: len(r.Objects), Description: r.Description, Reason: r.Reason,
		RolledBackTo: r.RolledBackTo, Source: r.Source, Holder: r.Holder,
		StartedAt: r.StartedAt, UpdatedAt: r.UpdatedAt, FinishedAt: r.FinishedAt,
		StoreVersion: r.StoreVersion,
	}
	if r.Evidence != nil {
		s.Evidence = append([]string(nil), r.Evidence...)
	}
	s.Verified = r.Verified.DeepCopy()
	if r.Chart != nil {
		s.Chart = &Chart{Name: r.Chart.Name, Version: r.Chart.Version, AppVersion: r.Chart.AppVersion, Ref: r.Chart.Ref, Digest: r.Chart.Digest}
	}
	if r.Progress != nil {
		p := *r.Progress
		s.Progress = &p
	}
	if r.Labels != nil {
		s.Labels = make(map[string]string, len(r.Labels))
		for k, v := range r.Labels {
			s.Labels[k] = v
		}
	}
	return s
}

// Summaries returns the summaries of revs, in the same order.
func Summaries(revs []*Revision) []*Summary {
	out := make([]*Summary, len(revs))
	for i, r := range revs {
		out[i] = r.Summary()
	}
	return out
}

// LatestSummary, LastDeployedSummary and PendingSummaries are Latest, LastDeployed and
// Pending for summaries.
func LatestSummary(sums []*Summary) *Summary {
	var latest *Summary
	for _, s := range sums {
		if s != nil && (latest == nil || s.Number > latest.Number) {
			latest = s
		}
	}
	return latest
}

// LastDeployedSummary returns the highest-numbered deployed summary, or nil.
func LastDeployedSummary(sums []*Summary) *Summary {
	var last *Summary
	for _, s := range sums {
		if s != nil && s.Status == StatusDeployed && (last == nil || s.Number > last.Number) {
			last = s
		}
	}
	return last
}

// HasPending says whether any of sums is pending.
func HasPending(sums []*Summary) bool {
	for _, s := range sums {
		if s != nil && s.Status == StatusPending {
			return true
		}
	}
	return false
}
