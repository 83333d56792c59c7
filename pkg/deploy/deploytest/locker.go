package deploytest

import (
	"context"
	"sync"
	"time"

	"github.com/shipsafe/shipsafe/pkg/deploy"
)

var (
	_ deploy.Locker = (*Locker)(nil)
	_ deploy.Lock   = (*Lock)(nil)
)

// Locker is a fake deploy.Locker: the lock is always free.
type Locker struct {
	// AcquireFunc, when set, replaces Acquire.
	AcquireFunc func(ctx context.Context, namespace, rel string, wait time.Duration) (deploy.Lock, error)

	mu    sync.Mutex
	locks []*Lock
}

// Acquire returns a new *Lock.
func (l *Locker) Acquire(ctx context.Context, namespace, rel string, wait time.Duration) (deploy.Lock, error) {
	if l.AcquireFunc != nil {
		return l.AcquireFunc(ctx, namespace, rel, wait)
	}
	lock := NewLock()
	l.mu.Lock()
	l.locks = append(l.locks, lock)
	l.mu.Unlock()
	return lock, nil
}

// Locks returns the locks Acquire handed out, in order.
func (l *Locker) Locks() []*Lock {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]*Lock(nil), l.locks...)
}

// Lock is a fake deploy.Lock. Lose closes Lost, as failed renewals would.
type Lock struct {
	// ReleaseFunc, when set, is called by Release (which still counts the call).
	ReleaseFunc func(ctx context.Context) error

	lost     chan struct{}
	loseOnce sync.Once
	mu       sync.Mutex
	released int
}

// NewLock returns a held lock.
func NewLock() *Lock { return &Lock{lost: make(chan struct{})} }

// Lost is closed once Lose was called.
func (k *Lock) Lost() <-chan struct{} { return k.lost }

// Lose marks the lock lost.
func (k *Lock) Lose() { k.loseOnce.Do(func() { close(k.lost) }) }

// Release counts the call and returns ReleaseFunc's error, if set.
func (k *Lock) Release(ctx context.Context) error {
	k.mu.Lock()
	k.released++
	k.mu.Unlock()
	if k.ReleaseFunc != nil {
		return k.ReleaseFunc(ctx)
	}
	return nil
}

// Released returns how often Release was called.
func (k *Lock) Released() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.released
}
