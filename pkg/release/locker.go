package release

import (
	"context"
	"errors"
	"fmt"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	coordinationclient "k8s.io/client-go/kubernetes/typed/coordination/v1"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
)

// DefaultLockTTL is the lease duration when LockOptions.TTL is zero: a killed deployer
// stops blocking others this long after its last renewal.
const DefaultLockTTL = 15 * time.Second

// LockOptions tune a Locker. The zero value takes the defaults.
type LockOptions struct {
	// TTL is the lease duration, rounded up to whole seconds (the Lease stores seconds);
	// default DefaultLockTTL, minimum 1s.
	TTL time.Duration
	// RenewDeadline is how long after the start of its last successful renewal the
	// holder still counts the lock as held; default 2/3 of TTL. It must be shorter than
	// TTL: the margin covers clocks that run at slightly different rates (see Lock).
	RenewDeadline time.Duration
	// RenewEvery is how often the holder renews the lease; default TTL/6. It must be
	// shorter than RenewDeadline, so that a failed renewal is retried before it.
	RenewEvery time.Duration
	// Clock gives the current time for lease timestamps and expiry decisions; default
	// the real clock. Waiting itself uses real timers.
	Clock clock.PassiveClock
}

// Locker takes the lock of one release: a coordination.k8s.io/v1 Lease named
// LeaseName(release) in the release namespace. Build it with NewLocker.
type Locker struct {
	leases        coordinationclient.LeaseInterface
	namespace     string
	release       string
	holder        string
	ttl           time.Duration
	renewEvery    time.Duration
	renewDeadline time.Duration
	clock         func() time.Time
}

// LeaseName returns the name of the Lease that locks release.
func LeaseName(release string) string { return "shipsafe-" + release }

// NewLocker returns a Locker for release in namespace, taking the lock as holder (see
// DefaultHolder). Invalid arguments are reported by Acquire.
func NewLocker(client kubernetes.Interface, namespace, release, holder string, opts LockOptions) *Locker {
	ttl := opts.TTL
	if ttl == 0 {
		ttl = DefaultLockTTL
	}
	if rem := ttl % time.Second; rem != 0 {
		ttl += time.Second - rem
	}
	deadline := opts.RenewDeadline
	if deadline == 0 {
		deadline = ttl * 2 / 3
	}
	renew := opts.RenewEvery
	if renew == 0 {
		renew = ttl / 6
	}
	now := time.Now
	if opts.Clock != nil {
		now = opts.Clock.Now
	}
	return &Locker{
		leases:        client.CoordinationV1().Leases(namespace),
		namespace:     namespace,
		release:       release,
		holder:        holder,
		ttl:           ttl,
		renewEvery:    renew,
		renewDeadline: deadline,
		clock:         now,
	}
}

func (l *Locker) validate() error {
	if err := ValidateName(l.release); err != nil {
		return err
	}
	switch {
	case l.namespace == "":
		return errors.New("lock release " + l.release + ": a namespace is required")
	case l.holder == "":
		return errors.New("lock release " + l.release + ": a holder identity is required")
	case l.ttl < time.Second:
		return fmt.Errorf("lock release %s: lock TTL %s is shorter than 1s", l.release, l.ttl)
	case l.renewDeadline <= 0 || l.renewDeadline >= l.ttl:
		return fmt.Errorf("lock release %s: renew deadline %s must be positive and shorter than the TTL %s", l.release, l.renewDeadline, l.ttl)
	case l.renewEvery <= 0 || l.renewEvery >= l.renewDeadline:
		return fmt.Errorf("lock release %s: renewal interval %s must be positive and shorter than the renew deadline %s", l.release, l.renewEvery, l.renewDeadline)
	}
	return nil
}

// Acquire takes the lock. It takes a free Lease, or one that this process has seen
// unchanged for a whole leaseDuration by its own monotonic clock: the holder stopped
// renewing. The holder's timestamps are never compared with this machine's clock to
// decide expiry; they only hint that a lease is probably dead (its renewTime plus
// leaseDuration has passed), in which case Acquire watches it for one leaseDuration even
// beyond wait, so that a killed deployer's lock is taken over without --lock-wait.
// Kubernetes' resourceVersion concurrency makes exactly one of two racers win. If the
// lock is held, Acquire waits up to wait (0: not at all) for it to be released or to
// expire, watching the Lease rather than polling, then returns a *HeldError
// (errors.Is(err, ErrLocked)).
//
// ctx bounds only Acquire itself. On success a goroutine renews the lease every
// RenewEvery until Lock.Release, independently of ctx, so that a caller whose context is
// cancelled by a signal still holds the lock while it rolls back. The caller must call
// Release, and Lock.Check before every write. Lock.TookOverFrom says whether an expired
// holder was displaced, in which case that holder's pending revision may be stale. The
// lock is not reentrant: a lease held under the same holder identity counts as held by
// someone else.
func (l *Locker) Acquire(ctx context.Context, wait time.Duration) (*Lock, error) {
	if err := l.validate(); err != nil {
		return nil, err
	}
	deadline := l.clock().Add(wait)
	var (
		still   staleness
		confirm time.Time // how long to watch a lease that looks dead, past deadline
	)
	// The first attempt creates the Lease without reading it first: a free lock (the
	// common case: Release deletes the Lease) costs one request.
	for create := true; ; create = false {
		lock, lease, held, err := l.try(ctx, &still, create)
		if err != nil {
			return nil, err
		}
		if lock != nil {
			lock.start()
			return lock, nil
		}
		if lease == nil { // lost a race to create or update; look again at once
			continue
		}
		now := l.clock()
		if confirm.IsZero() && overdue(lease, now, l.ttl) {
			confirm = now.Add(leaseTTL(lease, l.ttl) + 100*time.Millisecond)
		}
		limit := deadline
		if confirm.After(limit) {
			limit = confirm
		}
		if !now.Before(limit) {
			return nil, held
		}
		d := min(limit.Sub(now), still.expiresIn(lease, now, l.ttl)+50*time.Millisecond)
		if err := l.waitChange(ctx, lease, d); err != nil {
			return nil, fmt.Errorf("wait for the lock of release %s: %w", l.release, err)
		}
	}
}

// create creates the Lease, held by this process. It returns nil and no error when the
// Lease exists.
func (l *Locker) create(ctx context.Context) (*Lock, error) {
	start := l.clock()
	created, err := l.leases.Create(ctx, l.newLease(), metav1.CreateOptions{})
	switch {
	case apierrors.IsAlreadyExists(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("lock release %s: create lease %s/%s: %w", l.release, l.namespace, LeaseName(l.release), err)
	}
	return l.newLock(created, "", start), nil
}

// try makes one attempt. It returns a Lock on success; the observed Lease and a HeldError
// when someone else holds it; neither when it lost a race and should look again. With
// create it tries to create the Lease first and reads it only if it exists.
func (l *Locker) try(ctx context.Context, still *staleness, create bool) (*Lock, *coordinationv1.Lease, *HeldError, error) {
	name := LeaseName(l.release)
	if create {
		lock, err := l.create(ctx)
		if lock != nil || err != nil {
			return lock, nil, nil, err
		}
	}
	lease, err := l.leases.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		lock, err := l.create(ctx)
		return lock, nil, nil, err
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("lock release %s: get lease %s/%s: %w", l.release, l.namespace, name, err)
	}
	now := l.clock()
	holder := ptr.Deref(lease.Spec.HolderIdentity, "")
	// Observed as of the end of the read: the latest time the holder's write can be.
	expired := holder != "" && still.stale(lease, now, l.ttl)
	if holder != "" && !expired {
		return nil, lease, l.heldError(lease, now), nil
	}
	next := lease.DeepCopy()
	fresh := l.newLease()
	next.Spec = fresh.Spec
	next.Spec.LeaseTransitions = ptr.To(ptr.Deref(lease.Spec.LeaseTransitions, 0) + 1)
	start := l.clock()
	updated, err := l.leases.Update(ctx, next, metav1.UpdateOptions{})
	switch {
	case apierrors.IsConflict(err) || apierrors.IsNotFound(err):
		return nil, nil, nil, nil
	case err != nil:
		return nil, nil, nil, fmt.Errorf("lock release %s: take over lease %s/%s: %w", l.release, l.namespace, name, err)
	}
	return l.newLock(updated, holder, start), nil, nil, nil
}

func (l *Locker) newLease() *coordinationv1.Lease {
	now := metav1.NewMicroTime(l.clock())
	return &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{
			Name:      LeaseName(l.release),
			Namespace: l.namespace,
			// Not shipsafe.io/release: that label marks managed objects, which a prune may delete.
			Labels: map[string]string{"shipsafe.io/lock": l.release, "owner": "shipsafe"},
		},
		Spec: coordinationv1.LeaseSpec{
			HolderIdentity:       ptr.To(l.holder),
			LeaseDurationSeconds: ptr.To(int32(l.ttl / time.Second)),
			AcquireTime:          &now,
			RenewTime:            &now,
		},
	}
}

func (l *Locker) heldError(lease *coordinationv1.Lease, now time.Time) *HeldError {
	e := &HeldError{
		Release:   l.release,
		Namespace: l.namespace,
		Holder:    ptr.Deref(lease.Spec.HolderIdentity, ""),
		TTL:       leaseTTL(lease, l.ttl),
		At:        now,
	}
	if t := lease.Spec.AcquireTime; t != nil {
		e.Since = t.Time
	}
	if t := lease.Spec.RenewTime; t != nil {
		e.Renewed = t.Time
	}
	return e
}

// waitChange returns when the Lease changes, after d, or when ctx ends (with its error).
// If the watch cannot be opened it falls back to waiting at most one second.
func (l *Locker) waitChange(ctx context.Context, lease *coordinationv1.Lease, d time.Duration) error {
	w, err := l.leases.Watch(ctx, metav1.ListOptions{
		FieldSelector:   fields.OneTermEqualSelector("metadata.name", lease.Name).String(),
		ResourceVersion: lease.ResourceVersion,
	})
	var events <-chan watch.Event // nil, never ready, when the watch failed
	if err != nil {
		d = min(d, time.Second)
	} else {
		defer w.Stop()
		events = w.ResultChan()
	}
	timer := time.NewTimer(max(d, 0))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
	case <-events:
	}
	return nil
}

// leaseTTL returns the lease's duration, or def when it does not say.
func leaseTTL(lease *coordinationv1.Lease, def time.Duration) time.Duration {
	if s := lease.Spec.LeaseDurationSeconds; s != nil {
		return time.Duration(*s) * time.Second
	}
	return def
}

// lastRenewal returns the latest time the holder vouched for the lease, or zero.
func lastRenewal(lease *coordinationv1.Lease) time.Time {
	if t := lease.Spec.RenewTime; t != nil {
		return t.Time
	}
	if t := lease.Spec.AcquireTime; t != nil {
		return t.Time
	}
	return time.Time{}
}

// overdue reports whether the holder's own timestamps say the lease should have been
// renewed by now. It is a hint only (the holder's clock may differ from ours), never the
// decision that the lease expired.
func overdue(lease *coordinationv1.Lease, now time.Time, def time.Duration) bool {
	return now.After(lastRenewal(lease).Add(leaseTTL(lease, def)))
}

// staleness remembers when this process first saw the lease's current resourceVersion:
// a lease that has not changed for a whole lease duration by our clock has not been
// renewed, whatever its timestamps say.
type staleness struct {
	rv    string
	since time.Time
}

func (s *staleness) observe(lease *coordinationv1.Lease, now time.Time) {
	if lease.ResourceVersion != s.rv {
		s.rv, s.since = lease.ResourceVersion, now
	}
}

// stale records the observation, made by a read that ended at now, and reports whether
// the lease has sat unchanged for longer than its duration.
func (s *staleness) stale(lease *coordinationv1.Lease, now time.Time, def time.Duration) bool {
	s.observe(lease, now)
	return now.Sub(s.since) > leaseTTL(lease, def)
}

// expiresIn returns how long until the lease counts as expired by observation.
func (s *staleness) expiresIn(lease *coordinationv1.Lease, now time.Time, def time.Duration) time.Duration {
	return max(0, s.since.Add(leaseTTL(lease, def)).Sub(now))
}
