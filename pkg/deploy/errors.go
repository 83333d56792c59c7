package deploy

import (
	"errors"
	"fmt"

	"github.com/shipsafe/shipsafe/pkg/release"
)

// InputError means the input (objects, names, flags) or the caller's access is wrong; the
// action stopped before changing anything in the cluster.
type InputError struct {
	Err error
}

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

func inputErrorf(format string, args ...any) error {
	return &InputError{Err: fmt.Errorf(format, args...)}
}

// FailedError means a deploy changed the cluster and then failed. Restored says whether
// the cluster was brought back to a consistent state (the last deployed revision, or
// nothing for a first install); when false a person must act.
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

// IsLocked reports whether err says another process holds the release lock.
func IsLocked(err error) bool { return errors.Is(err, release.ErrLocked) }
