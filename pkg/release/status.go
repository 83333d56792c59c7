package release

import (
	"errors"
	"fmt"
	"time"
)

// Status is the state of one revision of a release.
type Status string

// The statuses of a revision. A revision is created pending; every other status is reached
// through Transition.
const (
	// StatusPending: the revision is being deployed. It is written before anything in the
	// cluster changes, so a pending revision found by a later deploy is the trace of a
	// deployer that died (its Created list says what to clean up).
	StatusPending Status = "pending"
	// StatusDeployed: the revision was applied and became ready. At most one revision of a
	// release is deployed at a time.
	StatusDeployed Status = "deployed"
	// StatusFailed: the revision failed (apply error, unhealthy, timeout, signal) and the
	// cluster was not brought back to an earlier deployed revision: rollback was disabled
	// or failed (the cluster may hold a partial state), or it was a first install, whose
	// created objects were removed (RolledBackTo is 0 then).
	StatusFailed Status = "failed"
	// StatusRolledBack: the revision failed (for any of the reasons above, including being
	// found stale after its deployer died) and the cluster was restored to revision
	// RolledBackTo, the last deployed one, which is deployed again.
	StatusRolledBack Status = "rolled-back"
	// StatusSuperseded: the revision was deployed and a later one replaced it.
	StatusSuperseded Status = "superseded"
	// StatusUninstalling: the release's objects are being deleted.
	StatusUninstalling Status = "uninstalling"
	// StatusUninstalled: the release's objects were deleted; the record is kept as history.
	StatusUninstalled Status = "uninstalled"
)

// ErrIllegalTransition matches (errors.Is) every *TransitionError.
var ErrIllegalTransition = errors.New("illegal status transition")

// next is the whole state machine: the statuses a revision in status from may move to.
// Failed, rolled-back, superseded and uninstalled are final. A rollback does not move an
// old revision back to deployed; it creates a new pending revision with the old revision's
// objects.
func next(from Status) []Status {
	switch from {
	case StatusPending:
		return []Status{StatusDeployed, StatusFailed, StatusRolledBack}
	case StatusDeployed:
		return []Status{StatusSuperseded, StatusUninstalling}
	case StatusUninstalling:
		return []Status{StatusUninstalled, StatusFailed}
	}
	return nil
}

// Valid reports whether s is one of the known statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusPending, StatusDeployed, StatusFailed, StatusRolledBack,
		StatusSuperseded, StatusUninstalling, StatusUninstalled:
		return true
	}
	return false
}

// Final reports whether no transition leaves s.
func (s Status) Final() bool { return s.Valid() && len(next(s)) == 0 }

// CanTransition reports whether a revision in status from may move to status to.
// Moving to the same status is not a transition and is refused.
func CanTransition(from, to Status) bool {
	for _, s := range next(from) {
		if s == to {
			return true
		}
	}
	return false
}

// TransitionError says that a revision was asked to make a move the state machine forbids.
// It matches ErrIllegalTransition with errors.Is.
type TransitionError struct {
	Release string
	Number  int
	From    Status
	To      Status
}

// Error implements error.
func (e *TransitionError) Error() string {
	return fmt.Sprintf("release %q revision %d: cannot go from %s to %s", e.Release, e.Number, e.From, e.To)
}

// Is makes errors.Is(err, ErrIllegalTransition) true.
func (e *TransitionError) Is(target error) bool { return target == ErrIllegalTransition }

// Transition moves r to status to at time now, or returns a *TransitionError and leaves r
// unchanged. It sets UpdatedAt, and FinishedAt when the revision's own operation ends
// (deployed, failed, rolled-back, uninstalled). It only changes the value in memory; the
// caller writes it with store.Store.Update.
func (r *Revision) Transition(to Status, now time.Time) error {
	if !CanTransition(r.Status, to) {
		return &TransitionError{Release: r.Release, Number: r.Number, From: r.Status, To: to}
	}
	r.Status = to
	r.UpdatedAt = now
	switch to {
	case StatusDeployed, StatusFailed, StatusRolledBack, StatusUninstalled:
		r.FinishedAt = now
	}
	return nil
}
