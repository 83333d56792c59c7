package deploy

import (
	"context"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/clock"

	"github.com/shipsafe/shipsafe/pkg/kube"
	"github.com/shipsafe/shipsafe/pkg/release"
)

// Locker takes the lock of a release, waiting up to wait for another holder to finish;
// LeaseLocker implements it. A release held by another process is an error matching
// release.ErrLocked (a *release.HeldError).
type Locker interface {
	Acquire(ctx context.Context, namespace, rel string, wait time.Duration) (Lock, error)
}

// Lock is a held release lock; *release.Lock implements it.
type Lock interface {
	// Lost is closed when the lock was lost (renewals failed): the holder must stop
	// writing at once.
	Lost() <-chan struct{}
	// Release gives the lock up.
	Release(ctx context.Context) error
}

var (
	_ Lock   = (*release.Lock)(nil)
	_ Locker = (*LeaseLocker)(nil)
)

// LeaseLocker takes release locks as coordination.k8s.io Leases (release.Locker) in the
// release namespace.
type LeaseLocker struct {
	Client kubernetes.Interface
	// Holder names this process in the Lease (release.DefaultHolder()).
	Holder string
	// TTL is how long a lock outlives its holder's last renewal (0: the default).
	TTL time.Duration
	// Clock gives lease timestamps (nil: the real clock).
	Clock clock.PassiveClock
	// Fence, when set, is the write fence of the clients the actions use: while a lock
	// is held, every write they send passes the lock's check first (see kube.Fence), so
	// a run that lost its lock cannot change anything. Client must not be behind it.
	Fence *kube.Fence
}

// Acquire takes the lock of release rel in namespace.
func (l *LeaseLocker) Acquire(ctx context.Context, namespace, rel string, wait time.Duration) (Lock, error) {
	lock, err := release.NewLocker(l.Client, namespace, rel, l.Holder, release.LockOptions{TTL: l.TTL, Clock: l.Clock}).Acquire(ctx, wait)
	if err != nil {
		return nil, err
	}
	if l.Fence == nil {
		return lock, nil
	}
	l.Fence.Hold(lock)
	return &fencedLock{Lock: lock, fence: l.Fence}, nil
}

// fencedLock is a release.Lock that holds a write fence until it is released.
type fencedLock struct {
	*release.Lock
	fence *kube.Fence
}

// Release drops the fence, then gives the lock up.
func (l *fencedLock) Release(ctx context.Context) error {
	l.fence.Drop()
	return l.Lock.Release(ctx)
}

// lostCause returns why lock was lost: its *release.LostError when it says, else an
// error matching release.ErrLockLost.
func lostCause(lock Lock) error {
	if c, ok := lock.(interface{ Check() (time.Duration, error) }); ok {
		if _, err := c.Check(); err != nil {
			return err
		}
	}
	return &release.LostError{Reason: "its renewals failed"}
}
