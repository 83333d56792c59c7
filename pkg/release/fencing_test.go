package release

import (
	"errors"
	"testing"
	"time"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// TestLockHolderStopsBeforeTakeover stops a holder's renewals, as a frozen process's
// are: the holder's Check fails (and Lost closes) before a waiting process can take
// the lease over, so two holders never both count the lock as theirs.
func TestLockHolderStopsBeforeTakeover(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	cs := clustertest.Clientset(t)
	ns := clustertest.Namespace(t, cs)
	opts := LockOptions{TTL: 3 * time.Second}
	a := mustAcquire(t, ctx, NewLocker(cs, ns, "web", "a", opts), 0)
	if left, err := a.Check(); err != nil || left <= 0 || left > 2*time.Second {
		t.Fatalf("Check right after acquiring = %s, %v; want up to the 2s renew deadline", left, err)
	}
	a.stop() // renewals end, as if the process were frozen
	<-a.done

	took := make(chan time.Time, 1)
	go func() {
		b, err := NewLocker(cs, ns, "web", "b", opts).Acquire(ctx, 20*time.Second)
		if err != nil {
			t.Errorf("b: %v", err)
			close(took)
			return
		}
		took <- time.Now()
		_ = b.Release(ctx)
	}()
	var lostAt time.Time
	for lostAt.IsZero() {
		select {
		case at, ok := <-took:
			t.Fatalf("b took the lock over at %v (ok %v) while a still counted it as held", at, ok)
		case <-time.After(20 * time.Millisecond):
		}
		if _, err := a.Check(); err != nil {
			if !errors.Is(err, ErrLockLost) {
				t.Fatalf("Check: %v, want ErrLockLost", err)
			}
			lostAt = time.Now()
		}
	}
	select {
	case <-a.Lost():
	default:
		t.Error("Lost not closed when Check found the lock lost")
	}
	at, ok := <-took
	if !ok {
		return
	}
	if !at.After(lostAt) {
		t.Errorf("b took over at %v, before a gave up at %v", at, lostAt)
	}
}

// hourBehind is a clock an hour behind the real one.
type hourBehind struct{}

func (hourBehind) Now() time.Time                  { return time.Now().Add(-time.Hour) }
func (hourBehind) Since(t time.Time) time.Duration { return time.Now().Add(-time.Hour).Sub(t) }

// TestLockLiveHolderWithSlowClockKeepsLock holds the lock as a process whose clock is
// an hour behind: its renewTime looks long expired to others, but it renews, and a
// waiter that compares no clocks sees that and does not take it.
func TestLockLiveHolderWithSlowClockKeepsLock(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	cs := clustertest.Clientset(t)
	ns := clustertest.Namespace(t, cs)
	a := mustAcquire(t, ctx, NewLocker(cs, ns, "web", "a", LockOptions{TTL: 2 * time.Second, Clock: hourBehind{}}), 0)
	_, err := NewLocker(cs, ns, "web", "b", LockOptions{TTL: 2 * time.Second}).Acquire(ctx, 4*time.Second)
	wantHeld(t, err, "a")
	if _, err := a.Check(); err != nil {
		t.Errorf("the renewing holder lost its lock: %v", err)
	}
}
