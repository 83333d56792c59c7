package deploy

import (
	"context"
	"errors"
	"fmt"

	"github.com/shipsafe/shipsafe/pkg/plan"
	"github.com/shipsafe/shipsafe/pkg/release"
)

// InputError means the input (objects, names, flags) or the caller's access is wrong; the
// action stopped before changing anything in the cluster. It is plan.InputError, the one
// type deploy and diff share.
type InputError = plan.InputError

func inputErrorf(format string, args ...any) error { return plan.Inputf(format, args...) }

// FailedError means a deploy failed or was interrupted by a signal. Restored says whether
// the cluster was brought back to a consistent state (the last deployed revision, or
// nothing for a first install); when false a person must act. Revision is 0 when a
// signal stopped the deploy before it recorded a revision: nothing was changed.
type FailedError struct {
	Release      string
	Revision     int
	Reason       string
	Restored     bool
	RolledBackTo int
	// Cause is the rollback's own error when Restored is false.
	Cause error
}

func (e *FailedError) Error() string {
	switch {
	case e.Restored && e.Revision == 0:
		return fmt.Sprintf("release %q: %s; nothing was changed", e.Release, e.Reason)
	case e.Restored && e.RolledBackTo > 0:
		return fmt.Sprintf("release %q revision %d failed and was rolled back to revision %d: %s",
			e.Release, e.Revision, e.RolledBackTo, e.Reason)
	case e.Restored:
		return fmt.Sprintf("release %q revision %d failed; the objects it created were removed: %s",
			e.Release, e.Revision, e.Reason)
	case e.Cause != nil:
		return fmt.Sprintf("release %q revision %d failed and was NOT restored: %s; restore failed: %v; "+
			"inspect with `shipsafe status %s`, then deploy a fixed version or run `shipsafe rollback %s`",
			e.Release, e.Revision, e.Reason, e.Cause, e.Release, e.Release)
	default:
		return fmt.Sprintf("release %q revision %d failed and was left as it is (--rollback=never): %s; "+
			"deploy a fixed version or run `shipsafe rollback %s`", e.Release, e.Revision, e.Reason, e.Release)
	}
}

func (e *FailedError) Unwrap() error { return e.Cause }

// stoppedBeforeChange reports err, met before the deploy changed anything, as what it
// is: when ctx was cancelled (a signal), the deploy was interrupted, not given bad input,
// and the cluster is still at its last deployed revision (a restored *FailedError with
// Revision 0); when ctx ended because the lock was lost, that cause (the run stops as
// lock lost, wherever the loss found it); otherwise err itself.
func stoppedBeforeChange(ctx context.Context, rel string, err error) error {
	if ctx.Err() == nil || errors.Is(err, release.ErrLocked) {
		return err
	}
	if cause := context.Cause(ctx); errors.Is(cause, release.ErrLockLost) {
		return cause
	}
	return &FailedError{Release: rel, Reason: interruption(ctx, "preparing the deploy"), Restored: true}
}

// ErrStaleRender means the release changed between rendering its chart and taking its
// lock (another deploy got in between): the chart was rendered for the wrong revision or
// for an install that is now an upgrade. Nothing was changed; render again and retry.
var ErrStaleRender = errors.New("the release changed while its chart was rendered")

// IsLocked reports whether err says another process holds the release lock.
func IsLocked(err error) bool { return errors.Is(err, release.ErrLocked) }

// LockLostError means the run lost its release lock (see release.Lock) and stopped
// writing at once, wherever it was: nothing it did afterwards reached the cluster. The
// release may be mid-change; the next deploy, rollback or uninstall of it, holding the
// lock, recovers it (finishes or undoes the interrupted revision). It matches
// release.ErrLockLost with errors.Is.
type LockLostError struct {
	Release string
	Err     error
}

func (e *LockLostError) Error() string {
	var lost *release.LostError
	if errors.As(e.Err, &lost) {
		return fmt.Sprintf("release %q: %v; this run stopped writing at once and changed nothing since; "+
			"another deploy may hold the lock now: the next deploy of the release recovers it "+
			"(see `shipsafe status %s`)", e.Release, lost, e.Release)
	}
	return fmt.Sprintf("release %q: the lock was lost: %v; check `shipsafe status %s`", e.Release, e.Err, e.Release)
}

func (e *LockLostError) Unwrap() error { return e.Err }

// lockLost returns err as a *LockLostError when it says the run lost its lock (a write
// refused by the fence, or work stopped by the loss); otherwise err.
func lockLost(rel string, err error) error {
	var already *LockLostError
	if err == nil || errors.As(err, &already) || !errors.Is(err, release.ErrLockLost) {
		return err
	}
	return &LockLostError{Release: rel, Err: err}
}
