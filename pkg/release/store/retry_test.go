package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/release/store"
	"github.com/shipsafe/shipsafe/pkg/release/store/storetest"
)

func TestRetryingConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) store.Store { return store.NewRetrying(store.NewMemory(), store.RetryOptions{}) })
}

// flaky is a Store whose writes fail with err for the first fails calls.
type flaky struct {
	store.Store
	fails int
	err   error
	calls int
}

func (f *flaky) Update(ctx context.Context, rev *release.Revision) error {
	f.calls++
	if f.calls <= f.fails {
		return f.err
	}
	return f.Store.Update(ctx, rev)
}

func TestRetryingRetriesPassingErrorsOnly(t *testing.T) {
	t.Parallel()
	invalid := errors.New("revision numbers start at 1")
	transient := apierrors.NewInvalid(schema.GroupKind{Kind: "Secret"}, "shipsafe.web.v1", nil) // as a policy denies
	tests := []struct {
		name      string
		fails     int
		err       error
		wantCalls int
		wantErr   error
	}{
		{"passes on the third try", 2, transient, 3, nil},
		{"fails every try", 100, transient, 4, transient},
		{"conflict is not retried", 100, fmt.Errorf("update: %w", store.ErrConflict), 1, store.ErrConflict},
		{"invalid input is not retried", 100, invalid, 1, invalid},
		{"lost lock is not retried", 100, fmt.Errorf("put: %w", &release.LostError{Release: "web"}), 1, release.ErrLockLost},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			mem := store.NewMemory()
			rev := &release.Revision{Release: "web", Namespace: "ns", Number: 1, Status: release.StatusPending}
			if err := mem.Create(ctx, rev); err != nil {
				t.Fatal(err)
			}
			f := &flaky{Store: mem, fails: tc.fails, err: tc.err}
			var retries int
			s := store.NewRetrying(f, store.RetryOptions{Attempts: 4, Backoff: time.Millisecond,
				OnRetry: func(string, int, error, time.Duration) { retries++ }})
			err := s.Update(ctx, rev)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Errorf("Update: err = %v, want %v", err, tc.wantErr)
			}
			if f.calls != tc.wantCalls || retries != tc.wantCalls-1 {
				t.Errorf("%d calls, %d retries reported; want %d calls", f.calls, retries, tc.wantCalls)
			}
		})
	}
}

func TestRetryingStopsWithTheContext(t *testing.T) {
	t.Parallel()
	mem := store.NewMemory()
	rev := &release.Revision{Release: "web", Namespace: "ns", Number: 1, Status: release.StatusPending}
	if err := mem.Create(context.Background(), rev); err != nil {
		t.Fatal(err)
	}
	f := &flaky{Store: mem, fails: 100, err: apierrors.NewServiceUnavailable("etcd is down")}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := store.NewRetrying(f, store.RetryOptions{Attempts: 100, Backoff: 20 * time.Millisecond}).Update(ctx, rev)
	if !errors.Is(err, context.DeadlineExceeded) || f.calls > 4 {
		t.Errorf("err = %v after %d calls; want the context's deadline after a few", err, f.calls)
	}
}
