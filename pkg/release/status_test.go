package release

import (
	"errors"
	"testing"
	"time"
)

func TestTransition(t *testing.T) {
	t.Parallel()
	all := []Status{StatusPending, StatusDeployed, StatusFailed, StatusRolledBack, StatusSuperseded, StatusUninstalling, StatusUninstalled}
	legal := map[[2]Status]bool{
		{StatusPending, StatusDeployed}:         true,
		{StatusPending, StatusFailed}:           true,
		{StatusPending, StatusRolledBack}:       true,
		{StatusDeployed, StatusSuperseded}:      true,
		{StatusDeployed, StatusUninstalling}:    true,
		{StatusUninstalling, StatusUninstalled}: true,
		{StatusUninstalling, StatusFailed}:      true,
	}
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, from := range append(all, Status("pending-upgrade")) {
		for _, to := range append(all, Status("")) {
			ok := legal[[2]Status{from, to}]
			t.Run(string(from)+"->"+string(to), func(t *testing.T) {
				t.Parallel()
				if got := CanTransition(from, to); got != ok {
					t.Fatalf("CanTransition = %v, want %v", got, ok)
				}
				r := &Revision{Release: "web", Number: 4, Status: from}
				err := r.Transition(to, now)
				if !ok {
					var te *TransitionError
					if !errors.As(err, &te) || !errors.Is(err, ErrIllegalTransition) {
						t.Fatalf("err = %v, want a *TransitionError matching ErrIllegalTransition", err)
					}
					if te.From != from || te.To != to || te.Release != "web" || te.Number != 4 {
						t.Fatalf("TransitionError = %+v", te)
					}
					if r.Status != from || !r.UpdatedAt.IsZero() || !r.FinishedAt.IsZero() {
						t.Fatalf("a refused transition changed the revision: %+v", r)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if r.Status != to || !r.UpdatedAt.Equal(now) {
					t.Fatalf("after transition: status %s, updated %v", r.Status, r.UpdatedAt)
				}
				wantFinished := to != StatusSuperseded && to != StatusUninstalling
				if r.FinishedAt.Equal(now) != wantFinished {
					t.Fatalf("FinishedAt = %v, want set=%v", r.FinishedAt, wantFinished)
				}
			})
		}
	}
}

func TestTransitionErrorMessage(t *testing.T) {
	t.Parallel()
	err := (&Revision{Release: "web", Number: 3, Status: StatusDeployed}).Transition(StatusPending, time.Now())
	if got, want := err.Error(), `release "web" revision 3: cannot go from deployed to pending`; got != want {
		t.Fatalf("message = %q, want %q", got, want)
	}
}

func TestStatusValidAndFinal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s            Status
		valid, final bool
	}{
		{StatusPending, true, false},
		{StatusDeployed, true, false},
		{StatusUninstalling, true, false},
		{StatusFailed, true, true},
		{StatusRolledBack, true, true},
		{StatusSuperseded, true, true},
		{StatusUninstalled, true, true},
		{"pending-install", false, false},
		{"", false, false},
	}
	for _, tc := range tests {
		t.Run(string(tc.s), func(t *testing.T) {
			t.Parallel()
			if tc.s.Valid() != tc.valid || tc.s.Final() != tc.final {
				t.Fatalf("Valid=%v Final=%v, want %v %v", tc.s.Valid(), tc.s.Final(), tc.valid, tc.final)
			}
		})
	}
}
