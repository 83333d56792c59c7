package release

import (
	"testing"
)

func revs(spec ...any) []*Revision {
	var out []*Revision
	for i := 0; i < len(spec); i += 2 {
		out = append(out, &Revision{Release: "web", Number: spec[i].(int), Status: spec[i+1].(Status)})
	}
	return out
}

func num(r *Revision) int {
	if r == nil {
		return 0
	}
	return r.Number
}

func TestHistoryHelpers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                 string
		revs                 []*Revision
		latest, lastDeployed int
		pending              []int
		next                 int
	}{
		{"empty", nil, 0, 0, nil, 1},
		{"first install pending", revs(1, StatusPending), 1, 0, []int{1}, 2},
		{"failed first install", revs(1, StatusFailed), 1, 0, nil, 2},
		{"upgrade failed, unsorted", revs(3, StatusFailed, 1, StatusSuperseded, 2, StatusDeployed), 3, 2, nil, 4},
		{"two stale pendings, unsorted", revs(5, StatusPending, 2, StatusDeployed, 4, StatusPending, 3, StatusRolledBack), 5, 2, []int{4, 5}, 6},
		{"deployed beats an older deployed", revs(1, StatusDeployed, 7, StatusDeployed, 8, StatusUninstalled), 8, 7, nil, 9},
		{"gaps after pruning", revs(10, StatusSuperseded, 12, StatusDeployed), 12, 12, nil, 13},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := num(Latest(tc.revs)); got != tc.latest {
				t.Errorf("Latest = %d, want %d", got, tc.latest)
			}
			if got := num(LastDeployed(tc.revs)); got != tc.lastDeployed {
				t.Errorf("LastDeployed = %d, want %d", got, tc.lastDeployed)
			}
			var pend []int
			for _, r := range Pending(tc.revs) {
				pend = append(pend, r.Number)
			}
			if len(pend) != len(tc.pending) {
				t.Fatalf("Pending = %v, want %v", pend, tc.pending)
			}
			for i := range pend {
				if pend[i] != tc.pending[i] {
					t.Fatalf("Pending = %v, want %v", pend, tc.pending)
				}
			}
			if got := NextNumber(tc.revs); got != tc.next {
				t.Errorf("NextNumber = %d, want %d", got, tc.next)
			}
		})
	}
}

func TestPendingDoesNotReorderInput(t *testing.T) {
	t.Parallel()
	in := revs(3, StatusPending, 1, StatusPending)
	_ = Pending(in)
	if in[0].Number != 3 || in[1].Number != 1 {
		t.Fatalf("Pending reordered its input: %d %d", in[0].Number, in[1].Number)
	}
}
