package deploy

import (
	"context"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/clock"

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
}

// Acquire takes the lock of release rel in namespace.
func (l *LeaseLocker) Acquire(ctx context.Context, namespace, rel string, wait time.Duration) (Lock, error) {
	lock, err := release.NewLocker(l.Client, namespace, rel, l.Holder, release.LockOptions{TTL: l.TTL, Clock: l.Clock}).Acquire(ctx, wait)
	if err != nil {
		return nil, err
	}
	return lock, nil
}
