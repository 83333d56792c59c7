package cli

import (
	"errors"

	"github.com/shipsafe/shipsafe/pkg/deploy"
	"github.com/shipsafe/shipsafe/pkg/release"
)

// Exit codes, as documented in the README.
const (
	ExitOK          = 0
	ExitRolledBack  = 1 // deploy failed and the cluster is at the last good revision; for diff/drift: differences found
	ExitInput       = 2 // bad input or usage; nothing changed
	ExitNotRestored = 3 // failed and not restored, or an error after changes began: a person must act
	ExitLocked      = 4 // another deploy of the release holds the lock (or kept changing it while a chart was rendered)
	ExitLockLost    = 5 // the run lost the release lock and stopped writing; the next holder recovers the release
	ExitReadFailed  = 6 // a read command could not read from the cluster; nothing changed
)

// usageError marks a command-line mistake.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// exitCode maps an action's error to the process exit code.
func exitCode(err error) int {
	var (
		ferr  *deploy.FailedError
		ierr  *deploy.InputError
		uerr  *usageError
		rerr  *readError
		coded *codeError
	)
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &coded):
		return coded.code
	case errors.Is(err, release.ErrLockLost):
		return ExitLockLost
	case errors.Is(err, release.ErrLocked), errors.Is(err, deploy.ErrStaleRender):
		return ExitLocked
	case errors.As(err, &ferr):
		if ferr.Restored {
			return ExitRolledBack
		}
		return ExitNotRestored
	case errors.As(err, &ierr), errors.As(err, &uerr):
		return ExitInput
	case errors.As(err, &rerr):
		return ExitReadFailed
	}
	// Anything else (a failed record write after applying, a failed recovery or uninstall)
	// may have left changes: never claim "nothing changed".
	return ExitNotRestored
}

// readError marks a failure of a command that only reads (status, history, list): the
// cluster could not be read, and nothing was changed.
type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() + "; nothing was changed" }
func (e *readError) Unwrap() error { return e.err }

// readFailed wraps err of a read command as a *readError, unless it is an input error
// (a release that does not exist, a bad flag), which keeps its exit code 2.
func readFailed(err error) error {
	var (
		ierr *deploy.InputError
		uerr *usageError
	)
	if errors.As(err, &ierr) || errors.As(err, &uerr) {
		return err
	}
	return &readError{err}
}

// codeError carries an exit code decided by a command (diff and drift: 1 = differences).
type codeError struct {
	code int
	err  error
}

func (e *codeError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}
