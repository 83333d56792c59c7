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
type Lock struct {
	leases       coordinationclient.LeaseInterface
	release      string
	holder       string
	ttl          time.Duration
	renewEvery   time.Duration
	clock        func() time.Time
	tookOverFrom string
	acquired     time.Time // the acquireTime the server stored for us: our mark of ownership

	lease *coordinationv1.Lease // last version we wrote; owned by the renewal goroutine until done

	lost     chan struct{}
	lostOnce sync.Once
	stop     context.CancelFunc
	done     chan struct{}

	releaseOnce sync.Once
	releaseErr  error
}

func (l *Locker) newLock(lease *coordinationv1.Lease, tookOverFrom string) *Lock {
	k := &Lock{
		leases:       l.leases,
		release:      l.release,
		holder:       l.holder,
		ttl:          l.ttl,
		renewEvery:   l.renewEvery,
		clock:        l.clock,
		tookOverFrom: tookOverFrom,
		lease:        lease,
		lost:         make(chan struct{}),
		done:         make(chan struct{}),
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

// Lost returns a channel closed when the lock was lost: renewals failed until the lease
// expired, or another holder took or deleted it. Work under the lock should stop then.
// It is not closed by Release.
func (k *Lock) Lost() <-chan struct{} { return k.lost }

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
	lastOK := k.clock()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		err := k.renew(ctx)
		switch {
		case err == nil:
			lastOK = k.clock()
		case ctx.Err() != nil:
			return
		case errors.Is(err, errNotOurs), k.clock().Sub(lastOK) >= k.ttl:
			k.lostOnce.Do(func() { close(k.lost) })
			return
		}
	}
}

// renew writes a fresh renewTime, following a concurrent change only while the lease is
// still ours.
func (k *Lock) renew(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, k.renewEvery)
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
		k.releaseErr = k.delete(ctx)
	})
	return k.releaseErr
}

func (k *Lock) delete(ctx context.Context) error {
	name := k.lease.Name
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
