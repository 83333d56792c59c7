package fanout

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
)

func TestEachRunsAllWithinTheLimit(t *testing.T) {
	t.Parallel()
	items := make([]int, 50)
	var running, most, calls atomic.Int32
	out := make([]int, len(items))
	err := Each(context.Background(), 4, items, func(_ context.Context, i int, _ int) error {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		calls.Add(1)
		out[i] = i * 2
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 50 || most.Load() > 4 {
		t.Errorf("%d calls, at most %d at a time; want 50, at most 4", calls.Load(), most.Load())
	}
	for i, v := range out {
		if v != i*2 {
			t.Fatalf("out[%d] = %d", i, v)
		}
	}
}

func TestEachReportsEveryFailureInOrder(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	err := Each(context.Background(), 2, []string{"a", "b", "c", "d"}, func(_ context.Context, _ int, s string) error {
		calls.Add(1)
		if s == "b" || s == "d" {
			return fmt.Errorf("fail %s", s)
		}
		return nil
	})
	if calls.Load() != 4 {
		t.Errorf("%d calls; a failure must not stop the others", calls.Load())
	}
	if err == nil || err.Error() != "fail b\nfail d" {
		t.Errorf("err = %v, want both failures in item order", err)
	}
}

func TestEachStopsStartingOnceCancelled(t *testing.T) {
	t.Parallel()
	cause := errors.New("signal")
	ctx, cancel := context.WithCancelCause(context.Background())
	var calls atomic.Int32
	err := Each(ctx, 1, make([]int, 10), func(_ context.Context, i int, _ int) error {
		calls.Add(1)
		if i == 2 {
			cancel(cause)
		}
		return nil
	})
	if calls.Load() != 3 {
		t.Errorf("%d calls after cancelling at the third; want 3", calls.Load())
	}
	if !errors.Is(err, cause) {
		t.Errorf("err = %v, want the context's cause", err)
	}
	// A failure that already reports the cancellation is not repeated.
	err = Each(ctx, 1, []int{1}, func(ctx context.Context, _ int, _ int) error { return context.Cause(ctx) })
	if err == nil || err.Error() != "signal" {
		t.Errorf("err = %q, want the cause once", err)
	}
}

func TestChunksCallsEachIndexOnce(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 31, 32, 33, 64, 1000} {
		calls := make([]int32, n)
		Chunks(n, 32, func(i int) { atomic.AddInt32(&calls[i], 1) })
		for i, c := range calls {
			if c != 1 {
				t.Fatalf("n=%d: index %d called %d times", n, i, c)
			}
		}
	}
}
