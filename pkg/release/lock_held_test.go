package release

import (
	"errors"
	"testing"
	"time"
)

func TestHeldError(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 1, 1, 12, 0, 40, 300_000_000, time.UTC)
	tests := []struct {
		name string
		err  *HeldError
		want string
	}{
		{
			"typical",
			&HeldError{Release: "web", Holder: "ci-runner-7/pid 412", Since: at.Add(-40 * time.Second), Renewed: at.Add(-3 * time.Second), TTL: 15 * time.Second, At: at},
			`release "web" is locked by "ci-runner-7/pid 412" since 40s ago (last renewed 3s ago); wait for it to finish, retry with --lock-wait, or if that process is dead, a deploy that sees the lock unrenewed for 15s takes it over`,
		},
		{
			"no timestamps",
			&HeldError{Release: "api", Holder: "kubectl-user", TTL: 2 * time.Second, At: at},
			`release "api" is locked by "kubectl-user" since an unknown time; wait for it to finish, retry with --lock-wait, or if that process is dead, a deploy that sees the lock unrenewed for 2s takes it over`,
		},
		{
			"holder clock ahead",
			&HeldError{Release: "web", Holder: "h", Since: at.Add(time.Minute), Renewed: at.Add(time.Minute), TTL: 15 * time.Second, At: at},
			`release "web" is locked by "h" since 0s ago (last renewed 0s ago); wait for it to finish, retry with --lock-wait, or if that process is dead, a deploy that sees the lock unrenewed for 15s takes it over`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.err.Error(); got != tc.want {
				t.Fatalf("message:\n got %s\nwant %s", got, tc.want)
			}
			var err error = tc.err
			if !errors.Is(err, ErrLocked) {
				t.Fatal("HeldError does not match ErrLocked")
			}
			var he *HeldError
			if !errors.As(err, &he) || he.Holder != tc.err.Holder {
				t.Fatal("errors.As does not find the HeldError")
			}
		})
	}
}
