package storetest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/release/store"
)

// Run runs the conformance suite. newStore must return a new, empty store for each call
// (tests run in parallel, each with its own store) and arrange its cleanup with t.Cleanup.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, ctx context.Context, s store.Store)
	}{
		{"CreateGetRoundTrip", testRoundTrip},
		{"CreateExisting", testCreateExisting},
		{"GetMissing", testGetMissing},
		{"Update", testUpdate},
		{"UpdateMissing", testUpdateMissing},
		{"UpdateStale", testUpdateStale},
		{"UpdateWithoutVersion", testUpdateWithoutVersion},
		{"HistoryOrder", testHistoryOrder},
		{"ListLatest", testListLatest},
		{"SummariesAreHistory", testSummariesAreHistory},
		{"Delete", testDelete},
		{"ConcurrentCreateOneWins", testConcurrentCreate},
		{"Isolation", testIsolation},
		{"TooLarge", testTooLarge},
		{"LargeButFits", testLargeButFits},
		{"LargeInParts", testLargeInParts},
		{"InvalidInput", testInvalidInput},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			tc.fn(t, ctx, newStore(t))
		})
	}
}

func mustCreate(t *testing.T, ctx context.Context, s store.Store, rev *release.Revision) *release.Revision {
	t.Helper()
	if err := s.Create(ctx, rev); err != nil {
		t.Fatalf("create %s v%d: %v", rev.Release, rev.Number, err)
	}
	if rev.StoreVersion == "" {
		t.Fatalf("create %s v%d: StoreVersion not set", rev.Release, rev.Number)
	}
	return rev
}

func mustGet(t *testing.T, ctx context.Context, s store.Store, name string, n int) *release.Revision {
	t.Helper()
	rev, err := s.Get(ctx, name, n)
	if err != nil {
		t.Fatalf("get %s v%d: %v", name, n, err)
	}
	return rev
}

func numbers(revs []*release.Revision) []int {
	out := make([]int, len(revs))
	for i, r := range revs {
		out[i] = r.Number
	}
	return out
}

func sumNumbers(sums []*release.Summary) []int {
	out := make([]int, len(sums))
	for i, r := range sums {
		out[i] = r.Number
	}
	return out
}

func mustSummaries(t *testing.T, ctx context.Context, s store.Store, name string) []*release.Summary {
	t.Helper()
	sums, err := s.Summaries(ctx, name)
	if err != nil {
		t.Fatalf("summaries of %s: %v", name, err)
	}
	return sums
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func testRoundTrip(t *testing.T, ctx context.Context, s store.Store) {
	want := mustCreate(t, ctx, s, revision("web", 1, release.StatusPending))
	got := mustGet(t, ctx, s, "web", 1)
	assertSame(t, got, want)
	if got.StoreVersion != want.StoreVersion {
		t.Fatalf("Get StoreVersion = %q, Create set %q", got.StoreVersion, want.StoreVersion)
	}
}

func testCreateExisting(t *testing.T, ctx context.Context, s store.Store) {
	first := mustCreate(t, ctx, s, revision("web", 1, release.StatusPending))
	second := revision("web", 1, release.StatusDeployed)
	second.Holder = "someone-else"
	err := s.Create(ctx, second)
	if !errors.Is(err, store.ErrExists) {
		t.Fatalf("second create of v1: err = %v, want ErrExists", err)
	}
	assertSame(t, mustGet(t, ctx, s, "web", 1), first)
}

func testGetMissing(t *testing.T, ctx context.Context, s store.Store) {
	mustCreate(t, ctx, s, revision("web", 1, release.StatusDeployed))
	for _, c := range []struct {
		name string
		n    int
	}{{"web", 2}, {"api", 1}} {
		if _, err := s.Get(ctx, c.name, c.n); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("get %s v%d: err = %v, want ErrNotFound", c.name, c.n, err)
		}
	}
}

func testUpdate(t *testing.T, ctx context.Context, s store.Store) {
	rev := mustCreate(t, ctx, s, revision("web", 1, release.StatusPending))
	before := rev.StoreVersion
	if err := rev.Transition(release.StatusFailed, baseTime().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	rev.Reason = "timed out"
	rev.Evidence = append(rev.Evidence, "Warning FailedScheduling: 0/1 nodes available")
	if err := s.Update(ctx, rev); err != nil {
		t.Fatalf("update: %v", err)
	}
	if rev.StoreVersion == "" || rev.StoreVersion == before {
		t.Fatalf("update left StoreVersion %q (was %q)", rev.StoreVersion, before)
	}
	got := mustGet(t, ctx, s, "web", 1)
	assertSame(t, got, rev)
	if got.Status != release.StatusFailed {
		t.Fatalf("status after update = %s", got.Status)
	}
	hist, err := s.History(ctx, "web")
	if err != nil || len(hist) != 1 || hist[0].Status != release.StatusFailed {
		t.Fatalf("history after update = %v, %v; want one failed revision", hist, err)
	}
	list, err := s.List(ctx)
	if err != nil || len(list) != 1 || list[0].Status != release.StatusFailed {
		t.Fatalf("list after update = %v, %v; want one failed revision", list, err)
	}
}

func testUpdateMissing(t *testing.T, ctx context.Context, s store.Store) {
	err := s.Update(ctx, revision("web", 7, release.StatusFailed))
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update of a missing revision: err = %v, want ErrNotFound", err)
	}
	if _, err := s.Get(ctx, "web", 7); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update of a missing revision created it: get err = %v", err)
	}
}

func testUpdateStale(t *testing.T, ctx context.Context, s store.Store) {
	mustCreate(t, ctx, s, revision("web", 1, release.StatusPending))
	a := mustGet(t, ctx, s, "web", 1)
	b := mustGet(t, ctx, s, "web", 1)
	a.Reason = "first writer"
	if err := s.Update(ctx, a); err != nil {
		t.Fatalf("first update: %v", err)
	}
	b.Reason = "second writer, stale"
	if err := s.Update(ctx, b); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale update: err = %v, want ErrConflict", err)
	}
	assertSame(t, mustGet(t, ctx, s, "web", 1), a)
}

func testUpdateWithoutVersion(t *testing.T, ctx context.Context, s store.Store) {
	mustCreate(t, ctx, s, revision("web", 1, release.StatusPending))
	rev := revision("web", 1, release.StatusDeployed)
	rev.Namespace = mustGet(t, ctx, s, "web", 1).Namespace
	if err := s.Update(ctx, rev); err != nil {
		t.Fatalf("unconditional update: %v", err)
	}
	if rev.StoreVersion == "" {
		t.Fatal("unconditional update left StoreVersion empty")
	}
	assertSame(t, mustGet(t, ctx, s, "web", 1), rev)
}

func testHistoryOrder(t *testing.T, ctx context.Context, s store.Store) {
	for _, n := range []int{3, 1, 10, 2, 11} {
		mustCreate(t, ctx, s, revision("web", n, release.StatusSuperseded))
	}
	mustCreate(t, ctx, s, revision("web-two", 4, release.StatusDeployed))
	mustCreate(t, ctx, s, revision("we", 5, release.StatusDeployed))
	hist, err := s.History(ctx, "web")
	if err != nil {
		t.Fatalf("history: %v", err)
	}
	if got, want := numbers(hist), []int{1, 2, 3, 10, 11}; !equalInts(got, want) {
		t.Fatalf("history numbers = %v, want %v", got, want)
	}
	for _, r := range hist {
		if r.Release != "web" || r.StoreVersion == "" {
			t.Fatalf("history entry %s v%d has StoreVersion %q", r.Release, r.Number, r.StoreVersion)
		}
	}
	none, err := s.History(ctx, "nothing")
	if err != nil || none == nil || len(none) != 0 {
		t.Fatalf("history of an unknown release = %#v, %v; want an empty non-nil slice and no error", none, err)
	}
}

func testListLatest(t *testing.T, ctx context.Context, s store.Store) {
	empty, err := s.List(ctx)
	if err != nil || len(empty) != 0 {
		t.Fatalf("list of an empty store = %v, %v", empty, err)
	}
	mustCreate(t, ctx, s, revision("zeta", 5, release.StatusDeployed))
	for n := 1; n <= 3; n++ {
		mustCreate(t, ctx, s, revision("alpha", n, release.StatusSuperseded))
	}
	mustCreate(t, ctx, s, revision("alpha", 12, release.StatusPending))
	mustCreate(t, ctx, s, revision("beta", 1, release.StatusFailed))
	list, err := s.List(ctx)
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	var got []string
	for _, r := range list {
		got = append(got, r.Release+"/"+string(r.Status))
		if r.StoreVersion == "" {
			t.Errorf("list entry %s has no StoreVersion", r.Release)
		}
	}
	want := "alpha/pending beta/failed zeta/deployed"
	if strings.Join(got, " ") != want {
		t.Fatalf("list = %v, want %s", got, want)
	}
	if n := sumNumbers(list); !equalInts(n, []int{12, 1, 5}) {
		t.Fatalf("list numbers = %v, want [12 1 5]", n)
	}
}

func testDelete(t *testing.T, ctx context.Context, s store.Store) {
	for n := 1; n <= 3; n++ {
		mustCreate(t, ctx, s, revision("web", n, release.StatusSuperseded))
	}
	if err := s.Delete(ctx, "web", 2); err != nil {
		t.Fatalf("delete v2: %v", err)
	}
	if _, err := s.Get(ctx, "web", 2); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("get after delete: err = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "web", 2); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: err = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "web", 3); err != nil {
		t.Fatalf("delete v3: %v", err)
	}
	hist, err := s.History(ctx, "web")
	if err != nil || !equalInts(numbers(hist), []int{1}) {
		t.Fatalf("history after deletes = %v, %v; want [1]", numbers(hist), err)
	}
	list, err := s.List(ctx)
	if err != nil || len(list) != 1 || list[0].Number != 1 {
		t.Fatalf("list after deleting the latest = %v, %v; want v1", sumNumbers(list), err)
	}
	if err := s.Delete(ctx, "web", 1); err != nil {
		t.Fatalf("delete v1: %v", err)
	}
	if list, err := s.List(ctx); err != nil || len(list) != 0 {
		t.Fatalf("list after deleting everything = %v, %v", sumNumbers(list), err)
	}
}

func testConcurrentCreate(t *testing.T, ctx context.Context, s store.Store) {
	const racers = 8
	var wg sync.WaitGroup
	errs := make([]error, racers)
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rev := revision("web", 1, release.StatusPending)
			rev.Holder = "racer-" + string(rune('a'+i))
			errs[i] = s.Create(ctx, rev)
		}()
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("racers %d and %d both created v1", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, store.ErrExists):
			t.Fatalf("racer %d: err = %v, want nil or ErrExists", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no racer created v1")
	}
	if got, want := mustGet(t, ctx, s, "web", 1).Holder, "racer-"+string(rune('a'+winner)); got != want {
		t.Fatalf("stored holder = %q, want the winner %q", got, want)
	}
}

func testIsolation(t *testing.T, ctx context.Context, s store.Store) {
	rev := mustCreate(t, ctx, s, revision("web", 1, release.StatusPending))
	want := revision("web", 1, release.StatusPending)
	want.Namespace = rev.Namespace

	// The caller's value after Create.
	rev.Objects[0].SetName("mutated")
	rev.Evidence[0] = "mutated"
	rev.Created[0].Name = "mutated"
	assertSame(t, mustGet(t, ctx, s, "web", 1), want)

	// A value returned by Get.
	got := mustGet(t, ctx, s, "web", 1)
	got.Objects[1].Object["data"].(map[string]any)["ratio"] = "mutated"
	got.Evidence = append(got.Evidence[:0], "mutated")
	got.Status = release.StatusFailed
	assertSame(t, mustGet(t, ctx, s, "web", 1), want)

	// Values returned by History and List.
	hist, err := s.History(ctx, "web")
	if err != nil || len(hist) != 1 {
		t.Fatalf("history = %v, %v", numbers(hist), err)
	}
	hist[0].Objects[0].SetLabels(map[string]string{"mutated": "true"})
	list, err := s.List(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("list = %v, %v", sumNumbers(list), err)
	}
	list[0].Evidence[0] = "mutated"
	list[0].Chart = nil
	sums, err := s.Summaries(ctx, "web")
	if err != nil || len(sums) != 1 {
		t.Fatalf("summaries = %v, %v", sumNumbers(sums), err)
	}
	sums[0].Evidence[0] = "mutated"
	assertSummary(t, mustSummaries(t, ctx, s, "web")[0], want.Summary())
	assertSame(t, mustGet(t, ctx, s, "web", 1), want)
}

// tooLarge is a blob size whose record is over store.MaxRecordSize after compression.
const tooLarge = 12 << 20

func testTooLarge(t *testing.T, ctx context.Context, s store.Store) {
	big := withBlob(revision("web", 1, release.StatusPending), tooLarge)
	err := s.Create(ctx, big)
	var tl *store.TooLargeError
	if !errors.As(err, &tl) {
		t.Fatalf("create of a 12 MiB record: err = %v, want *TooLargeError", err)
	}
	if tl.Release != "web" || tl.Number != 1 || tl.Limit != store.MaxRecordSize || tl.Size <= tl.Limit {
		t.Fatalf("TooLargeError = %+v", tl)
	}
	if !strings.Contains(err.Error(), "split") {
		t.Fatalf("error %q does not say what to do", err)
	}
	if _, err := s.Get(ctx, "web", 1); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused record was stored: get err = %v", err)
	}

	small := mustCreate(t, ctx, s, revision("web", 2, release.StatusPending))
	grown := withBlob(small.DeepCopy(), tooLarge)
	if err := s.Update(ctx, grown); !errors.As(err, &tl) {
		t.Fatalf("update to a 12 MiB record: err = %v, want *TooLargeError", err)
	}
	assertSame(t, mustGet(t, ctx, s, "web", 2), small)
}

// testLargeInParts stores records over what one Kubernetes Secret holds (1 MiB), which
// the Secret store splits into parts: they round-trip through Create, Update (growing,
// then shrinking), History, List and Delete.
func testLargeInParts(t *testing.T, ctx context.Context, s store.Store) {
	// About 1.15 MiB after compression.
	rev := mustCreate(t, ctx, s, withBlob(revision("web", 1, release.StatusPending), 3<<19))
	assertSame(t, mustGet(t, ctx, s, "web", 1), rev)

	// About 2.3 MiB.
	grown := withBlob(revision("web", 1, release.StatusDeployed), 3<<20)
	grown.StoreVersion = rev.StoreVersion
	if err := s.Update(ctx, grown); err != nil {
		t.Fatalf("update to a larger record: %v", err)
	}
	assertSame(t, mustGet(t, ctx, s, "web", 1), grown)
	hist, err := s.History(ctx, "web")
	if err != nil || len(hist) != 1 {
		t.Fatalf("history = %v, %v", numbers(hist), err)
	}
	assertSame(t, hist[0], grown)
	list, err := s.List(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("list = %v, %v", sumNumbers(list), err)
	}
	assertSummary(t, list[0], grown.Summary())
	assertSummary(t, mustSummaries(t, ctx, s, "web")[0], grown.Summary())

	shrunk := revision("web", 1, release.StatusSuperseded)
	shrunk.StoreVersion = grown.StoreVersion
	if err := s.Update(ctx, shrunk); err != nil {
		t.Fatalf("update to a small record: %v", err)
	}
	assertSame(t, mustGet(t, ctx, s, "web", 1), shrunk)
	if err := s.Delete(ctx, "web", 1); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := s.Get(ctx, "web", 1); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("get after delete: err = %v, want ErrNotFound", err)
	}
}

func testLargeButFits(t *testing.T, ctx context.Context, s store.Store) {
	// About 1 MiB of JSON that compresses to about 780 KiB: over a Secret's limit unless
	// compressed, under MaxRecordSize once compressed.
	rev := mustCreate(t, ctx, s, withBlob(revision("web", 1, release.StatusPending), 1<<20))
	assertSame(t, mustGet(t, ctx, s, "web", 1), rev)
}

func testInvalidInput(t *testing.T, ctx context.Context, s store.Store) {
	for _, name := range []string{"", "Web", "-web", "web-", "we_b", "web.v1", strings.Repeat("a", 54)} {
		err := s.Create(ctx, revision(name, 1, release.StatusPending))
		if err == nil || errors.Is(err, store.ErrExists) || !strings.Contains(err.Error(), "invalid release name") {
			t.Errorf("create with release name %q: err = %v, want an invalid name error", name, err)
		}
		if _, err := s.Get(ctx, name, 1); err == nil || errors.Is(err, store.ErrNotFound) {
			t.Errorf("get with release name %q: err = %v, want an invalid name error", name, err)
		}
	}
	for _, rev := range []*release.Revision{
		revision("web", 0, release.StatusPending),
		revision("web", -1, release.StatusPending),
		revision("web", 1, release.Status("pending-upgrade")),
		nil,
	} {
		if err := s.Create(ctx, rev); err == nil {
			t.Errorf("create of invalid revision %+v succeeded", rev)
		}
	}
	if list, err := s.List(ctx); err != nil || len(list) != 0 {
		t.Fatalf("invalid input was stored: list = %v, %v", sumNumbers(list), err)
	}
}

// testSummariesAreHistory checks that Summaries returns History's revisions as
// summaries, in the same order and with the same StoreVersion, as they are created,
// updated and deleted; List returns the latest one's.
func testSummariesAreHistory(t *testing.T, ctx context.Context, s store.Store) {
	if sums, err := s.Summaries(ctx, "web"); err != nil || len(sums) != 0 {
		t.Fatalf("summaries of a release without revisions = %v, %v; want none", sumNumbers(sums), err)
	}
	for n := 3; n >= 1; n-- {
		rev := revision("web", n, release.StatusSuperseded)
		if n == 3 {
			rev.Status = release.StatusPending
		}
		if n == 2 {
			rev.Chart = &release.Chart{Name: "info", Version: "1.2.3", AppVersion: "7.1", Ref: "repo/info", Digest: "sha256:00", Values: map[string]any{"a": "b"}, Notes: "hi"}
			rev.Labels = map[string]string{"team": "blue"}
			rev.Progress = &release.Progress{Applied: true}
			rev.Verified = &release.Verified{Passed: true, Start: baseTime(), End: baseTime().Add(time.Minute), Checks: []string{"http: 10/10 samples passed"}}
		}
		mustCreate(t, ctx, s, rev)
	}
	mustCreate(t, ctx, s, revision("other", 1, release.StatusDeployed))
	check := func(when string) {
		t.Helper()
		hist, err := s.History(ctx, "web")
		if err != nil {
			t.Fatalf("%s: history: %v", when, err)
		}
		sums := mustSummaries(t, ctx, s, "web")
		if !equalInts(sumNumbers(sums), numbers(hist)) {
			t.Fatalf("%s: summaries %v, history %v", when, sumNumbers(sums), numbers(hist))
		}
		for i := range hist {
			assertSummary(t, sums[i], hist[i].Summary())
			if sums[i].StoreVersion != hist[i].StoreVersion {
				t.Fatalf("%s: summary of v%d has StoreVersion %q, the revision %q", when, hist[i].Number, sums[i].StoreVersion, hist[i].StoreVersion)
			}
			if sums[i].Chart != nil && (sums[i].Chart.Values != nil || sums[i].Chart.Notes != "") {
				t.Fatalf("%s: summary of v%d carries the chart's values or notes", when, hist[i].Number)
			}
		}
		list, err := s.List(ctx)
		if err != nil || len(list) != 2 {
			t.Fatalf("%s: list = %v, %v", when, sumNumbers(list), err)
		}
		for _, l := range list {
			if l.Release == "web" {
				assertSummary(t, l, release.Latest(hist).Summary())
			}
		}
	}
	check("after create")

	v3 := mustGet(t, ctx, s, "web", 3)
	if err := v3.Transition(release.StatusFailed, baseTime().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	v3.Reason, v3.Evidence = "deployment apps/web: ProgressDeadlineExceeded", []string{"line 1", "line 2", "line 3"}
	if err := s.Update(ctx, v3); err != nil {
		t.Fatalf("update v3: %v", err)
	}
	check("after update")

	if err := s.Delete(ctx, "web", 3); err != nil {
		t.Fatalf("delete v3: %v", err)
	}
	check("after delete")
}
