package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/release/store"
)

func TestPrune(t *testing.T) {
	t.Parallel()
	const (
		D = release.StatusDeployed
		S = release.StatusSuperseded
		F = release.StatusFailed
		R = release.StatusRolledBack
		P = release.StatusPending
		U = release.StatusUninstalled
		I = release.StatusUninstalling
	)
	tests := []struct {
		name        string
		history     []release.Status // revisions 1..n
		keep        int
		wantDeleted []int
	}{
		{"under the limit", []release.Status{S, S, D}, 5, nil},
		{"at the limit", []release.Status{S, S, D}, 3, nil},
		{"no limit", []release.Status{S, S, S, S, D}, 0, nil},
		{"oldest first", []release.Status{S, F, S, R, S, D}, 3, []int{1, 2, 3}},
		{"keeps the last deployed behind failures", []release.Status{S, D, F, F, F}, 2, []int{1, 3, 4}},
		{"keeps pending and uninstalling", []release.Status{P, I, S, S, D}, 2, []int{3, 4}},
		{"keeps the latest even if failed", []release.Status{F, F, F}, 1, []int{1, 2}},
		{"uninstalled history", []release.Status{S, S, U}, 1, []int{1, 2}},
		{"nothing prunable", []release.Status{P, D}, 1, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := store.NewMemory()
			for i, st := range tc.history {
				if err := s.Create(ctx, &release.Revision{Release: "web", Number: i + 1, Status: st}); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Create(ctx, &release.Revision{Release: "other", Number: 1, Status: S}); err != nil {
				t.Fatal(err)
			}
			deleted, err := store.Prune(ctx, s, "web", tc.keep)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(deleted, tc.wantDeleted) {
				t.Fatalf("deleted %v, want %v", deleted, tc.wantDeleted)
			}
			hist, err := s.History(ctx, "web")
			if err != nil {
				t.Fatal(err)
			}
			var left []int
			for _, r := range hist {
				left = append(left, r.Number)
			}
			for n := 1; n <= len(tc.history); n++ {
				if slices.Contains(tc.wantDeleted, n) == slices.Contains(left, n) {
					t.Fatalf("revision %d: deleted=%v but still present=%v (left %v)", n, slices.Contains(tc.wantDeleted, n), slices.Contains(left, n), left)
				}
			}
			if _, err := s.Get(ctx, "other", 1); err != nil {
				t.Fatalf("prune touched another release: %v", err)
			}
		})
	}
}

// failingDelete wraps a store so that Delete fails for one number.
type failingDelete struct {
	store.Store
	failOn int
}

func (f failingDelete) Delete(ctx context.Context, name string, n int) error {
	if n == f.failOn {
		return fmt.Errorf("delete %s v%d: the API server is down", name, n)
	}
	return f.Store.Delete(ctx, name, n)
}

func TestPruneReportsDeleteErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	mem := store.NewMemory()
	for n, st := range []release.Status{release.StatusSuperseded, release.StatusSuperseded, release.StatusSuperseded, release.StatusDeployed} {
		if err := mem.Create(ctx, &release.Revision{Release: "web", Number: n + 1, Status: st}); err != nil {
			t.Fatal(err)
		}
	}
	deleted, err := store.Prune(ctx, failingDelete{mem, 2}, "web", 1)
	if err == nil {
		t.Fatal("a failed delete was not reported")
	}
	if !slices.Equal(deleted, []int{1}) {
		t.Fatalf("deleted before the error = %v, want [1]", deleted)
	}
}
