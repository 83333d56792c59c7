package release

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func mustAcquire(t *testing.T, ctx context.Context, l *Locker, wait time.Duration) *Lock {
	t.Helper()
	lock, err := l.Acquire(ctx, wait)
	if err != nil {
		t.Fatalf("acquire as %s: %v", l.holder, err)
	}
	t.Cleanup(func() { _ = lock.Release(context.Background()) })
	return lock
}

func wantHeld(t *testing.T, err error, holder string) *HeldError {
	t.Helper()
	var he *HeldError
	if !errors.As(err, &he) || !errors.Is(err, ErrLocked) {
		t.Fatalf("err = %v, want a *HeldError matching ErrLocked", err)
	}
	if he.Holder != holder {
		t.Fatalf("HeldError.Holder = %q, want %q", he.Holder, holder)
	}
	return he
}

func getLease(t *testing.T, ctx context.Context, cs kubernetes.Interface, ns, release string) *coordinationv1.Lease {
	t.Helper()
	lease, err := cs.CoordinationV1().Leases(ns).Get(ctx, LeaseName(release), metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get lease: %v", err)
	}
	return lease
}

// putLease writes a lease as another (possibly dead) process would have.
func putLease(t *testing.T, ctx context.Context, cs kubernetes.Interface, ns, release, holder string, renewed time.Time, ttlSeconds int32) {
	t.Helper()
	ts := metav1.NewMicroTime(renewed)
	lease := &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: LeaseName(release), Namespace: ns},
		Spec: coordinationv1.LeaseSpec{
			HolderIdentity:       ptr.To(holder),
			LeaseDurationSeconds: ptr.To(ttlSeconds),
			AcquireTime:          &ts,
			RenewTime:            &ts,
		},
	}
	if _, err := cs.CoordinationV1().Leases(ns).Create(ctx, lease, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create lease: %v", err)
	}
}

func TestLockOneOfManyWins(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	cs := clustertest.Clientset(t)
	ns := clustertest.Namespace(t, cs)
	const racers = 5
	locks := make([]*Lock, racers)
	errs := make([]error, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			locks[i], errs[i] = NewLocker(cs, ns, "web", fmt.Sprintf("racer-%d", i), LockOptions{}).Acquire(ctx, 0)
		}()
	}
	wg.Wait()
	winner := -1
	for i := range racers {
		if errs[i] == nil {
			if winner >= 0 {
				t.Fatalf("racers %d and %d both hold the lock", winner, i)
			}
			winner = i
			t.Cleanup(func() { _ = locks[i].Release(context.Background()) })
		}
	}
	if winner < 0 {
		t.Fatalf("nobody won: %v", errs)
	}
	for i, err := range errs {
		if i != winner {
			he := wantHeld(t, err, fmt.Sprintf("racer-%d", winner))
			if he.Release != "web" || he.Namespace != ns || he.TTL != DefaultLockTTL || he.Since.IsZero() || he.Renewed.IsZero() {
				t.Fatalf("HeldError = %+v", he)
			}
		}
	}
	if got := ptr.Deref(getLease(t, ctx, cs, ns, "web").Spec.HolderIdentity, ""); got != fmt.Sprintf("racer-%d", winner) {
		t.Fatalf("lease holder = %q, want the winner", got)
	}
	if locks[winner].TookOverFrom() != "" {
		t.Fatalf("TookOverFrom = %q on a free lock", locks[winner].TookOverFrom())
	}
}

func TestLockTakeoverRaceOneWins(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	cs := clustertest.Clientset(t)
	ns := clustertest.Namespace(t, cs)
	putLease(t, ctx, cs, ns, "web", "dead", time.Now().Add(-time.Minute), 2)
	const racers = 6
	locks := make([]*Lock, racers)
	errs := make([]error, racers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := NewLocker(cs, ns, "web", fmt.Sprintf("racer-%d", i), LockOptions{})
			<-start
			locks[i], errs[i] = l.Acquire(ctx, 0)
		}()
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		if err != nil {
			continue
		}
		t.Cleanup(func() { _ = locks[i].Release(context.Background()) })
		if winner >= 0 {
			t.Fatalf("racers %d and %d both took over the expired lease", winner, i)
		}
		winner = i
	}
	if winner < 0 {
		t.Fatalf("nobody took over: %v", errs)
	}
	if locks[winner].TookOverFrom() != "dead" {
		t.Fatalf("TookOverFrom = %q, want dead", locks[winner].TookOverFrom())
	}
	for i, err := range errs {
		if i != winner {
			wantHeld(t, err, fmt.Sprintf("racer-%d", winner))
		}
	}
}

func TestLockWaitSucceedsAfterRelease(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	cs := clustertest.Clientset(t)
	ns := clustertest.Namespace(t, cs)
	a := mustAcquire(t, ctx, NewLocker(cs, ns, "web", "a", LockOptions{}), 0)

	type result struct {
		lock *Lock
		err  error
		at   time.Time
	}
	done := make(chan result, 1)
	go func() {
		l, err := NewLocker(cs, ns, "web", "b", LockOptions{}).Acquire(ctx, 30*time.Second)
		done <- result{l, err, time.Now()}
	}()
	time.Sleep(time.Second)
	select {
	case r := <-done:
		t.Fatalf("b got the lock while a held it: %v", r.err)
	default:
	}
	released := time.Now()
	if err := a.Release(ctx); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatalf("b after a released: %v", r.err)
	}
	defer r.lock.Release(context.Background())
	// The TTL is 15s: b must have been woken by the watch, not by expiry.
	if d := r.at.Sub(released); d > 5*time.Second {
		t.Fatalf("b took the lock %s after the release", d)
	}
	if r.lock.TookOverFrom() != "" {
		t.Fatalf("TookOverFrom = %q after a clean release", r.lock.TookOverFrom())
	}
}

func TestLockWaitTimesOut(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	cs := clustertest.Clientset(t)
	ns := clustertest.Namespace(t, cs)
	mustAcquire(t, ctx, NewLocker(cs, ns, "web", "a", LockOptions{}), 0)
	start := time.Now()
	_, err := NewLocker(cs, ns, "web", "b", LockOptions{}).Acquire(ctx, 1500*time.Millisecond)
	wantHeld(t, err, "a")
	if d := time.Since(start); d < 1400*time.Millisecond || d > 6*time.Second {
		t.Fatalf("gave up after %s, want about 1.5s", d)
	}

	cctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(300*time.Millisecond, cancel)
	start = time.Now()
	_, err = NewLocker(cs, ns, "web", "c", LockOptions{}).Acquire(cctx, time.Minute)
	if !errors.Is(err, context.Canceled) || time.Since(start) > 5*time.Second {
		t.Fatalf("cancelled wait: err = %v after %s, want context.Canceled soon", err, time.Since(start))
	}
}

func TestLockTakesOverExpired(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	cs := clustertest.Clientset(t)
	ns := clustertest.Namespace(t, cs)

	// A holder that died long ago: taken without --lock-wait, once this process has seen
	// the lease unchanged for its duration (its timestamps are another machine's).
	putLease(t, ctx, cs, ns, "old", "dead-runner/pid 9", time.Now().Add(-time.Minute), 2)
	begin := time.Now()
	l := mustAcquire(t, ctx, NewLocker(cs, ns, "old", "b", LockOptions{TTL: 2 * time.Second}), 0)
	if d := time.Since(begin); d < 2*time.Second {
		t.Fatalf("took a dead holder's lease after %s, before seeing it unchanged for its 2s", d)
	}
	if l.TookOverFrom() != "dead-runner/pid 9" {
		t.Fatalf("TookOverFrom = %q", l.TookOverFrom())
	}
	if got := ptr.Deref(getLease(t, ctx, cs, ns, "old").Spec.LeaseTransitions, 0); got != 1 {
		t.Fatalf("leaseTransitions = %d, want 1", got)
	}

	// A holder that stops renewing (killed): a waiter takes over about one TTL later.
	a := mustAcquire(t, ctx, NewLocker(cs, ns, "web", "a", LockOptions{TTL: 2 * time.Second}), 0)
	a.stop() // as if the process were killed: no more renewals, no release
	<-a.done
	start := time.Now()
	b := mustAcquire(t, ctx, NewLocker(cs, ns, "web", "b", LockOptions{TTL: 2 * time.Second}), 20*time.Second)
	if d := time.Since(start); d > 6*time.Second {
		t.Fatalf("takeover took %s with a 2s TTL", d)
	}
	if b.TookOverFrom() != "a" {
		t.Fatalf("TookOverFrom = %q, want a", b.TookOverFrom())
	}
	// The displaced holder's Release must not delete the new holder's lease.
	if err := a.delete(ctx); err != nil {
		t.Fatal(err)
	}
	if got := ptr.Deref(getLease(t, ctx, cs, ns, "web").Spec.HolderIdentity, ""); got != "b" {
		t.Fatalf("after the old holder's release the lease holder is %q, want b", got)
	}
}

func TestLockTakesOverFromClockSkewedDeadHolder(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	cs := clustertest.Clientset(t)
	ns := clustertest.Namespace(t, cs)
	// The dead holder's clock ran an hour ahead: its own timestamps never expire, but the
	// lease stops changing, which a waiter sees.
	putLease(t, ctx, cs, ns, "web", "skewed", time.Now().Add(time.Hour), 2)
	_, err := NewLocker(cs, ns, "web", "b", LockOptions{TTL: 2 * time.Second}).Acquire(ctx, 0)
	wantHeld(t, err, "skewed")
	start := time.Now()
	b := mustAcquire(t, ctx, NewLocker(cs, ns, "web", "b", LockOptions{TTL: 2 * time.Second}), 20*time.Second)
	if d := time.Since(start); d < 2*time.Second || d > 8*time.Second {
		t.Fatalf("takeover after %s, want about one TTL (2s)", d)
	}
	if b.TookOverFrom() != "skewed" {
		t.Fatalf("TookOverFrom = %q", b.TookOverFrom())
	}
}

func TestLockRenewalOutlivesTTLAndCallerContext(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	cs := clustertest.Clientset(t)
	ns := clustertest.Namespace(t, cs)
	actx, cancel := context.WithCancel(ctx)
	a := mustAcquire(t, actx, NewLocker(cs, ns, "web", "a", LockOptions{TTL: 2 * time.Second}), 0)
	cancel() // the signal arrives; renewals must go on
	first := getLease(t, ctx, cs, ns, "web").Spec.RenewTime.Time
	time.Sleep(5 * time.Second)
	_, err := NewLocker(cs, ns, "web", "b", LockOptions{TTL: 2 * time.Second}).Acquire(ctx, 0)
	wantHeld(t, err, "a")
	if renewed := getLease(t, ctx, cs, ns, "web").Spec.RenewTime.Time; !renewed.After(first.Add(3 * time.Second)) {
		t.Fatalf("renewTime moved from %v to %v in 5s; want renewals every ~0.3s", first, renewed)
	}
	select {
	case <-a.Lost():
		t.Fatal("lock reported lost while renewing")
	default:
	}
}

func TestLockLostWhenTaken(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	cs := clustertest.Clientset(t)
	ns := clustertest.Namespace(t, cs)
	a := mustAcquire(t, ctx, NewLocker(cs, ns, "web", "a", LockOptions{TTL: 2 * time.Second}), 0)
	lease := getLease(t, ctx, cs, ns, "web")
	lease.Spec.HolderIdentity = ptr.To("intruder")
	lease.Spec.AcquireTime = ptr.To(metav1.NewMicroTime(time.Now()))
	if _, err := cs.CoordinationV1().Leases(ns).Update(ctx, lease, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-a.Lost():
	case <-time.After(5 * time.Second):
		t.Fatal("Lost not closed after another holder took the lease")
	}
	if err := a.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if got := ptr.Deref(getLease(t, ctx, cs, ns, "web").Spec.HolderIdentity, ""); got != "intruder" {
		t.Fatalf("release of a lost lock changed the lease holder to %q", got)
	}
}

func TestLockReleaseDeletes(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	cs := clustertest.Clientset(t)
	ns := clustertest.Namespace(t, cs)
	a := mustAcquire(t, ctx, NewLocker(cs, ns, "web", "a", LockOptions{}), 0)
	lease := getLease(t, ctx, cs, ns, "web")
	if lease.Labels["shipsafe.io/lock"] != "web" || ptr.Deref(lease.Spec.LeaseDurationSeconds, 0) != 15 {
		t.Fatalf("lease = %+v", lease)
	}
	if err := a.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoordinationV1().Leases(ns).Get(ctx, LeaseName("web"), metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("lease after release: err = %v, want NotFound", err)
	}
	if err := a.Release(ctx); err != nil {
		t.Fatalf("second release: %v", err)
	}
	b := mustAcquire(t, ctx, NewLocker(cs, ns, "web", "b", LockOptions{}), 0)
	if b.TookOverFrom() != "" {
		t.Fatalf("TookOverFrom = %q after a release", b.TookOverFrom())
	}
}

func TestLockerValidates(t *testing.T) {
	t.Parallel()
	cs := fake.NewClientset()
	tests := []struct {
		name                string
		ns, release, holder string
		opts                LockOptions
		wantErr             string
	}{
		{"bad release name", "ns", "Web", "h", LockOptions{}, "invalid release name"},
		{"no namespace", "", "web", "h", LockOptions{}, "namespace is required"},
		{"no holder", "ns", "web", "", LockOptions{}, "holder identity is required"},
		{"renewal not shorter than the deadline", "ns", "web", "h", LockOptions{TTL: 3 * time.Second, RenewEvery: 2 * time.Second}, "shorter than the renew deadline"},
		{"deadline not shorter than TTL", "ns", "web", "h", LockOptions{TTL: 2 * time.Second, RenewDeadline: 2 * time.Second}, "shorter than the TTL"},
		{"negative TTL", "ns", "web", "h", LockOptions{TTL: -time.Second}, "shorter than 1s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewLocker(cs, tc.ns, tc.release, tc.holder, tc.opts).Acquire(context.Background(), 0)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
	if l := NewLocker(cs, "ns", "web", "h", LockOptions{TTL: 1500 * time.Millisecond}); l.ttl != 2*time.Second || l.renewEvery != 2*time.Second/6 || l.renewDeadline != 2*time.Second*2/3 {
		t.Fatalf("TTL 1.5s gave ttl %s, renewEvery %s, renewDeadline %s; want 2s rounded up, a sixth and two thirds of it", l.ttl, l.renewEvery, l.renewDeadline)
	}
}

// TestLockReleaseIsOneRequest: giving up a lease that nobody changed since this lock last
// wrote it is one DELETE, preconditioned on that version (no read first).
func TestLockReleaseIsOneRequest(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	cfg, log := clustertest.LoggedConfig(t)
	cs := kubernetes.NewForConfigOrDie(cfg)
	ns := clustertest.Namespace(t, cs)
	a := mustAcquire(t, ctx, NewLocker(cs, ns, "web", "a", LockOptions{}), 0)
	log.Take()
	if err := a.Release(ctx); err != nil {
		t.Fatal(err)
	}
	want := "DELETE /apis/coordination.k8s.io/v1/namespaces/" + ns + "/leases/" + LeaseName("web")
	if got := log.Take(); len(got) != 1 || got[0] != want {
		t.Errorf("Release sent %q, want only %q", got, want)
	}
	if _, err := cs.CoordinationV1().Leases(ns).Get(ctx, LeaseName("web"), metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("lease after release: err = %v, want NotFound", err)
	}
}

// TestFreeLockIsOneRequest: taking a free lock is one request, the Lease's create (no
// read first); a held one is found by that create's conflict and one read.
func TestFreeLockIsOneRequest(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	cfg, log := clustertest.LoggedConfig(t)
	cs := kubernetes.NewForConfigOrDie(cfg)
	ns := clustertest.Namespace(t, cs)
	log.Take()
	a := mustAcquire(t, ctx, NewLocker(cs, ns, "web", "a", LockOptions{}), 0)
	defer a.Release(ctx)
	leases := "/apis/coordination.k8s.io/v1/namespaces/" + ns + "/leases"
	if got, want := log.Take(), []string{"POST " + leases}; !slices.Equal(got, want) {
		t.Errorf("taking a free lock sent %q, want %q", got, want)
	}
	_, err := NewLocker(cs, ns, "web", "b", LockOptions{}).Acquire(ctx, 0)
	wantHeld(t, err, "a")
	if got, want := log.Take(), []string{"POST " + leases, "GET " + leases + "/" + LeaseName("web")}; !slices.Equal(got, want) {
		t.Errorf("trying a held lock sent %q, want %q", got, want)
	}
}
