package release

import (
	"errors"
	"fmt"
	"time"
)

// ErrLocked matches (errors.Is) every *HeldError: another process holds the release lock.
var ErrLocked = errors.New("release is locked")

// HeldError says that the release lock is held by someone else and was not released
// within the wait. It matches ErrLocked with errors.Is.
type HeldError struct {
	// Release and Namespace name the locked release.
	Release, Namespace string
	// Holder is the holder identity written in the Lease.
	Holder string
	// Since is when the holder acquired the lock (zero if the Lease does not say).
	Since time.Time
	// Renewed is when the holder last renewed the lock (zero if the Lease does not say).
	Renewed time.Time
	// TTL is the holder's lease duration: the lock expires TTL after Renewed.
	TTL time.Duration
	// At is when the Lease was observed; ages in the message are relative to it.
	At time.Time
}

// Error implements error. The message says who holds the lock, for how long, and what to do.
func (e *HeldError) Error() string {
	since := "an unknown time"
	if !e.Since.IsZero() {
		since = age(e.At.Sub(e.Since)) + " ago"
	}
	renewed := ""
	if !e.Renewed.IsZero() {
		renewed = fmt.Sprintf(" (last renewed %s ago)", age(e.At.Sub(e.Renewed)))
	}
	return fmt.Sprintf("release %q is locked by %q since %s%s; wait for it to finish, retry with --lock-wait, "+
		"or if that process is dead, a deploy that sees the lock unrenewed for %s takes it over",
		e.Release, e.Holder, since, renewed, age(e.TTL))
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *HeldError) Is(target error) bool { return target == ErrLocked }

// age renders a duration in whole seconds (minimum 0s) the way people read ages.
func age(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return d.Round(time.Second).String()
}
