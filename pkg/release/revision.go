package release

import (
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Revision is the record of one deploy, rollback or uninstall of a release: what was
// applied, what it newly created, and how it ended. Stores keep one record per
// (Release, Number).
type Revision struct {
	// Release is the release name (a DNS label of at most 53 characters; see ValidateName).
	Release string `json:"release"`
	// Namespace is the namespace holding the record, i.e. the release namespace.
	Namespace string `json:"namespace,omitempty"`
	// Number counts revisions of the release from 1; a new revision takes Latest+1.
	Number int `json:"number"`
	// Status is where the revision stands; change it with Transition.
	Status Status `json:"status"`
	// Objects are the desired objects of this revision, as applied.
	Objects []*unstructured.Unstructured `json:"objects,omitempty"`
	// Hooks are the chart hooks the revision was deployed with (after --skip-hooks), so
	// that a later rollback to it runs its rollback hooks and an uninstall its delete
	// hooks. They are not among Objects: they are never applied or pruned as such.
	Hooks []Hook `json:"hooks,omitempty"`
	// Verification is the release's Verification object (package verify), read from its
	// sources and never applied: the checks run after this revision is ready, and again
	// when a later rollback returns to it.
	Verification *unstructured.Unstructured `json:"verification,omitempty"`
	// Verified is the outcome of the Verification's checks for this revision (nil: it
	// has none, or they did not finish).
	Verified *Verified `json:"verified,omitempty"`
	// Created lists the objects this revision newly creates (absent before it). It is
	// written while the revision is pending, before anything is applied, so that the
	// cleanup of a failed or interrupted revision works even after the deployer is killed.
	Created []ObjectRef `json:"created,omitempty"`
	// Adopted holds each object that existed without belonging to this release (made by
	// hand, by another tool, or by another release) and that the revision takes over, as
	// it was before (apply.PriorOf: without status and server-set metadata, with its uid,
	// resourceVersion and managedFields). Like Created it is written while the revision is
	// pending, before anything is applied, so that a failed or interrupted revision puts
	// these objects back as they were instead of leaving them with its spec and ownership.
	// A deployed revision has none: adoption that succeeded needs no undoing.
	Adopted []*unstructured.Unstructured `json:"adopted,omitempty"`
	// Applied is, by object key (manifest.Key.String()), the state this revision applied
	// or found unchanged: see AppliedState. Objects without an entry (records written
	// before it existed, applies that failed) are always applied by the next deploy.
	Applied map[string]AppliedState `json:"applied,omitempty"`
	// Progress says, while the revision is pending, how far its deploy got (see
	// Progress); nil before anything was applied.
	Progress *Progress `json:"progress,omitempty"`
	// Unpruned lists objects the revision's deploy was to prune (delete) but could not;
	// the next deploy tries again.
	Unpruned []ObjectRef `json:"unpruned,omitempty"`
	// Reason says why the revision failed or was rolled back.
	Reason string `json:"reason,omitempty"`
	// Evidence holds warning events and log lines that explain a failure.
	Evidence []string `json:"evidence,omitempty"`
	// RolledBackTo is, for a failed or rolled-back revision, the revision restored in the
	// cluster (0 when none was).
	RolledBackTo int `json:"rolledBackTo,omitempty"`
	// Source says where the objects came from, for history (e.g. "-f k8s/").
	Source string `json:"source,omitempty"`
	// Holder identifies who ran the revision (the lock holder id).
	Holder string `json:"holder,omitempty"`
	// StartedAt is when the revision was created as pending.
	StartedAt time.Time `json:"startedAt,omitzero"`
	// UpdatedAt is when the revision last changed.
	UpdatedAt time.Time `json:"updatedAt,omitzero"`
	// FinishedAt is when the revision's own operation ended (see Transition).
	FinishedAt time.Time `json:"finishedAt,omitzero"`
	// Description is one line for history, e.g. "upgrade" or "rollback to 3".
	Description string `json:"description,omitempty"`
	// Chart is, for a revision rendered from a Helm chart, the chart, its values and notes.
	Chart *Chart `json:"chart,omitempty"`
	// Labels are the user's labels of the record (--labels), set on the record's Secret
	// too so that records can be selected by them.
	Labels map[string]string `json:"labels,omitempty"`

	// StoreVersion is the store's opaque version of the stored copy this value was read
	// from or last written as. Stores set it on Create, Get, History, List and Update, and
	// Update refuses to overwrite a record that changed since (see store.Store). It is not
	// part of the record.
	StoreVersion string `json:"-"`
}

// DeepCopy returns a copy of r that shares no memory with it (nil for nil).
func (r *Revision) DeepCopy() *Revision {
	if r == nil {
		return nil
	}
	c := *r
	if r.Objects != nil {
		c.Objects = make([]*unstructured.Unstructured, len(r.Objects))
		for i, o := range r.Objects {
			if o != nil {
				c.Objects[i] = o.DeepCopy()
			}
		}
	}
	if r.Hooks != nil {
		c.Hooks = make([]Hook, len(r.Hooks))
		for i, h := range r.Hooks {
			c.Hooks[i] = h.DeepCopy()
		}
	}
	if r.Verification != nil {
		c.Verification = r.Verification.DeepCopy()
	}
	c.Verified = r.Verified.DeepCopy()
	if r.Created != nil {
		c.Created = append([]ObjectRef(nil), r.Created...)
	}
	if r.Adopted != nil {
		c.Adopted = make([]*unstructured.Unstructured, len(r.Adopted))
		for i, o := range r.Adopted {
			if o != nil {
				c.Adopted[i] = o.DeepCopy()
			}
		}
	}
	c.Applied = cloneApplied(r.Applied)
	if r.Progress != nil {
		p := *r.Progress
		c.Progress = &p
	}
	if r.Unpruned != nil {
		c.Unpruned = append([]ObjectRef(nil), r.Unpruned...)
	}
	if r.Evidence != nil {
		c.Evidence = append([]string(nil), r.Evidence...)
	}
	c.Chart = r.Chart.DeepCopy()
	if r.Labels != nil {
		c.Labels = make(map[string]string, len(r.Labels))
		for k, v := range r.Labels {
			c.Labels[k] = v
		}
	}
	return &c
}

// Progress are the checkpoints a deploy writes into its pending revision, so that a
// later deploy that finds the revision interrupted knows how far it got: a revision
// that was Ready only lost its final record write and is completed, not rolled back.
type Progress struct {
	// Applied: every object was applied.
	Applied bool `json:"applied,omitempty"`
	// Ready: every object (and post hook) was ready.
	Ready bool `json:"ready,omitempty"`
	// Pruned: what the revision replaced was pruned (see Revision.Unpruned for what
	// could not be).
	Pruned bool `json:"pruned,omitempty"`
}
