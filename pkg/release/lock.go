package release

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coordinationclient "k8s.io/client-go/kubernetes/typed/coordination/v1"
	"k8s.io/utils/ptr"
)

// errNotOurs says the Lease was deleted or taken by another holder.
var errNotOurs = errors.New("lease is no longer ours")

// Lock is a held release lock, renewed in the background until Release.
//
// Fencing: the holder counts the lock as valid only until RenewDeadline after the start
// of its last successful renewal (or of the acquiring write), measured on this process's
// monotonic clock. RenewDeadline is shorter than the TTL, and another process takes the
// lease over only after it has seen the lease unchanged for a whole TTL on its own clock,
// so the holder stops before anyone else may start, without comparing clocks of two
// machines. Once invalid, the lock stays lost: Check fails and Lost is closed, even if
// the process was merely paused (SIGSTOP, a frozen VM) and nobody took over.
type Lock struct {
	leases        coordinationclient.LeaseInterface
	release       string
	namespace     string
	holder        string
	ttl           time.Duration
	renewEvery    time.Duration
	renewDeadline time.Duration
	clock         func() time.Time
	tookOverFrom  string
	acquired      time.Time // the acquireTime the server stored for us: our mark of ownership

	lease *coordinationv1.Lease // last version we wrote; owned by the renewal goroutine until done

	mu         sync.Mutex
	validUntil time.Time // by clock: writes are allowed before it
	lostErr    *LostError
	released   bool

	lost     chan struct{}
	lostOnce sync.Once
	stop     context.CancelFunc
	done     chan struct{}

	releaseOnce sync.Once
	releaseErr  error
}

// newLock returns the Lock for lease, which this process wrote in a request it began at
// start.
func (l *Locker) newLock(lease *coordinationv1.Lease, tookOverFrom string, start time.Time) *Lock {
	k := &Lock{
		leases:        l.leases,
		release:       l.release,
		namespace:     l.namespace,
		holder:        l.holder,
		ttl:           l.ttl,
		renewEvery:    l.renewEvery,
		renewDeadline: l.renewDeadline,
		clock:         l.clock,
		tookOverFrom:  tookOverFrom,
		lease:         lease,
		validUntil:    start.Add(l.renewDeadline),
		lost:          make(chan struct{}),
		done:          make(chan struct{}),
	}
	if t := lease.Spec.AcquireTime; t != nil {
		k.acquired = t.Time
	}
	return k
}

// TookOverFrom returns the holder whose expired lease this lock replaced, or "" when the
// lock was free. A non-empty value means that holder died or hung mid-operation, so a
// pending revision it wrote may be stale.
func (k *Lock) TookOverFrom() string { return k.tookOverFrom }

// Holder returns the identity this lock is held as.
func (k *Lock) Holder() string { return k.holder }

// Lost returns a channel closed when the lock was lost: it was not renewed within the
// renew deadline (see Lock), or another holder took or deleted it. Work under the lock
// must stop writing then. It is not closed by Release.
func (k *Lock) Lost() <-chan struct{} { return k.lost }

// Check returns how much longer the lock is certainly held, or a *LostError (matching
// ErrLockLost) once it is not: lost, or released. Call it right before every write made
// under the lock, and bound the write by the duration returned.
func (k *Lock) Check() (time.Duration, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.released && k.lostErr == nil {
		return 0, &LostError{Release: k.release, Namespace: k.namespace, Holder: k.holder, Reason: "the lock was released"}
	}
	left := k.validUntil.Sub(k.clock())
	if k.lostErr == nil && left <= 0 {
		k.loseLocked(fmt.Sprintf("it was not renewed within %s (this process was paused, or could not reach the API server)", k.renewDeadline))
	}
	if k.lostErr != nil {
		return 0, k.lostErr
	}
	return left, nil
}

// lose marks the lock lost for reason, once; later reasons are ignored.
func (k *Lock) lose(reason string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.loseLocked(reason)
}

func (k *Lock) loseLocked(reason string) {
	if k.lostErr != nil {
		return
	}
	k.lostErr = &LostError{Release: k.release, Namespace: k.namespace, Holder: k.holder, Reason: reason}
	k.lostOnce.Do(func() { close(k.lost) })
}

// extend records a successful renewal whose request began at start.
func (k *Lock) extend(start time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.lostErr == nil {
		k.validUntil = start.Add(k.renewDeadline)
	}
}

// start launches the renewal goroutine; Release stops it.
func (k *Lock) start() {
	ctx, cancel := context.WithCancel(context.Background())
	k.stop = cancel
	go k.renewLoop(ctx)
}

func (k *Lock) renewLoop(ctx context.Context) {
	defer close(k.done)
	ticker := time.NewTicker(k.renewEvery)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		left, err := k.Check()
		if err != nil {
			return // lost: a renewal now could revive a lease another may be about to take
		}
		start := k.clock()
		err = k.renew(ctx, left)
		switch {
		case err == nil:
			k.extend(start)
		case ctx.Err() != nil:
			return
		case errors.Is(err, errNotOurs):
			k.lose("another holder took the lease over, or it was deleted")
			return
		}
		// Any other error: try again at the next tick, until the deadline passes.
	}
}

// renew writes a fresh renewTime, following a concurrent change only while the lease is
// still ours.
func (k *Lock) renew(ctx context.Context, within time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, min(k.renewEvery, within))
	defer cancel()
	for range 3 {
		next := k.lease.DeepCopy()
		next.Spec.RenewTime = ptr.To(metav1.NewMicroTime(k.clock()))
		updated, err := k.leases.Update(ctx, next, metav1.UpdateOptions{})
		if err == nil {
			k.lease = updated
			return nil
		}
		if !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
			return fmt.Errorf("renew lease %s: %w", next.Name, err)
		}
		current, err := k.leases.Get(ctx, next.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			return errNotOurs
		case err != nil:
			return fmt.Errorf("renew lease %s: %w", next.Name, err)
		case !k.owns(current):
			return errNotOurs
		}
		k.lease = current
	}
	return fmt.Errorf("renew lease %s: repeated conflicts", k.lease.Name)
}

// owns reports whether lease still records this lock as its holder.
func (k *Lock) owns(lease *coordinationv1.Lease) bool {
	if ptr.Deref(lease.Spec.HolderIdentity, "") != k.holder {
		return false
	}
	t := lease.Spec.AcquireTime
	return t != nil && t.Time.Equal(k.acquired)
}

// Release stops the renewals and deletes the Lease if it is still this lock's, so the next
// deploy need not wait for the TTL. It must be called once the work under the lock is done
// (pass a context that a signal has not cancelled, e.g. context.WithoutCancel with a
// timeout); until then the lease is renewed. Later calls return the first call's result.
// A lease already lost or taken by another holder is left alone and is not an error.
func (k *Lock) Release(ctx context.Context) error {
	k.releaseOnce.Do(func() {
		k.stop()
		<-k.done
		k.mu.Lock()
		k.released = true
		k.mu.Unlock()
		k.releaseErr = k.delete(ctx)
	})
	return k.releaseErr
}

// delete deletes the lease if it is still this lock's. It first deletes the version this
// lock last wrote (one request: the UID and resourceVersion preconditions make it a no-op
// on any other version); on a conflict it reads the lease and decides again.
func (k *Lock) delete(ctx context.Context) error {
	name := k.lease.Name
	if k.owns(k.lease) {
		err := k.leases.Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{
			UID:             &k.lease.UID,
			ResourceVersion: &k.lease.ResourceVersion,
		}})
		switch {
		case err == nil, apierrors.IsNotFound(err):
			return nil
		case !apierrors.IsConflict(err):
			return fmt.Errorf("release lock of %s: delete lease %s: %w", k.release, name, err)
		}
	}
	for range 3 {
		current, err := k.leases.Get(ctx, name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			return nil
		case err != nil:
			return fmt.Errorf("release lock of %s: get lease %s: %w", k.release, name, err)
		case !k.owns(current):
			return nil
		}
		err = k.leases.Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{
			UID:             &current.UID,
			ResourceVersion: &current.ResourceVersion,
		}})
		switch {
		case err == nil, apierrors.IsNotFound(err):
			return nil
		case !apierrors.IsConflict(err):
			return fmt.Errorf("release lock of %s: delete lease %s: %w", k.release, name, err)
		}
	}
	return fmt.Errorf("release lock of %s: delete lease %s: repeated conflicts", k.release, name)
}
