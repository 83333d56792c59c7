package release

import (
	"errors"
	"fmt"
)

// ErrLockLost matches (errors.Is) every *LostError: the run no longer holds its release
// lock and must not write.
var ErrLockLost = errors.New("release lock lost")

// LostError says that a Lock is no longer held, and why. Work under the lock stops
// writing at once; the next holder of the lock recovers the release.
type LostError struct {
	// Release and Namespace name the release; Holder is this process's identity.
	Release, Namespace, Holder string
	// Reason says how the lock was lost.
	Reason string
}

// Error implements error.
func (e *LostError) Error() string {
	return fmt.Sprintf("lost the lock of release %q (lease %s/%s, held as %q): %s",
		e.Release, e.Namespace, LeaseName(e.Release), e.Holder, e.Reason)
}

// Is makes errors.Is(err, ErrLockLost) true.
func (e *LostError) Is(target error) bool { return target == ErrLockLost }
