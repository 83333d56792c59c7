package cli

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/shipsafe/shipsafe/pkg/deploy"
	"github.com/shipsafe/shipsafe/pkg/health"
	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/track"
)

func TestExitCode(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		err  error
		want int
	}{
		{"success", nil, ExitOK},
		{"rolled back", &deploy.FailedError{Restored: true, RolledBackTo: 3}, ExitRolledBack},
		{"first install cleaned up", &deploy.FailedError{Restored: true}, ExitRolledBack},
		{"not restored", &deploy.FailedError{Restored: false}, ExitNotRestored},
		{"wrapped failure", fmt.Errorf("deploy: %w", &deploy.FailedError{Restored: true}), ExitRolledBack},
		{"bad input", &deploy.InputError{Err: errors.New("bad")}, ExitInput},
		{"usage", &usageError{errors.New("no -f")}, ExitInput},
		{"locked", fmt.Errorf("lock: %w", &release.HeldError{Release: "web", Holder: "ci-1"}), ExitLocked},
		{"diff found changes", &codeError{code: 1}, 1},
		{"lock lost", &deploy.LockLostError{Release: "web", Err: &release.LostError{Release: "web"}}, ExitLockLost},
		{"lock lost during a failed deploy", errors.Join(&deploy.FailedError{}, fmt.Errorf("record: %w", &release.LostError{})), ExitLockLost},
		{"read failed", readFailed(errors.New("connection refused")), ExitReadFailed},
		{"read of a missing release", readFailed(&deploy.InputError{Err: errors.New("not found")}), ExitInput},
		{"record write after changes", errors.New("record revision 2: server error"), ExitNotRestored},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := exitCode(tc.err); got != tc.want {
				t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.want)
			}
		})
	}
}

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func events() []deploy.Event {
	web := track.ObjectRef{Group: "apps", Kind: "Deployment", Namespace: "shop", Name: "web"}
	return []deploy.Event{
		{Time: t0, Kind: deploy.Step, Message: "revision 2 (upgrade): applying 2 objects (1 new)"},
		{Time: t0.Add(100 * time.Millisecond), Kind: deploy.Applied, Object: "apps/Deployment shop/web"},
		{Time: t0.Add(2 * time.Second), Kind: deploy.Tracking, Track: &track.Event{
			Type: track.StatusChanged, Object: web, Elapsed: 2 * time.Second,
			Status: health.Status{Phase: health.Failed, Reason: "CrashLoopBackOff", Message: "pod web-1: container app\ncrashed 2 times", Ready: 0, Desired: 2},
		}},
		{Time: t0.Add(2 * time.Second), Kind: deploy.Tracking, Track: &track.Event{
			Type: track.LogLine, Object: web, Source: "web-1/app", Message: "fatal: no DATABASE_URL",
		}},
		{Time: t0.Add(3 * time.Second), Kind: deploy.Deleted, Object: "apps/Deployment shop/web"},
	}
}

func TestEventPrinterWritesOneLinePerEvent(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	p := newEventPrinter(&b, false, t0)
	for _, e := range events() {
		p.print(e)
	}
	want := `[  0.0s] revision 2 (upgrade): applying 2 objects (1 new)
[  0.1s] applied  apps/Deployment shop/web
[  2.0s] Failed      apps/Deployment shop/web: CrashLoopBackOff (pod web-1: container app crashed 2 times)
[  2.0s] log      web-1/app| fatal: no DATABASE_URL
[  3.0s] deleted  apps/Deployment shop/web
`
	if b.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", b.String(), want)
	}
	if strings.ContainsAny(b.String(), "\x1b\r") {
		t.Error("CI output has control characters")
	}
}

func TestLiveTableShowsStatusAndRemovals(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	tbl := newLiveTable(&b, t0, func() (int, int) { return 120, 40 }, false)
	for _, e := range events() {
		tbl.print(e)
	}
	tbl.flush(t0.Add(4*time.Second), nil)
	out := b.String()
	last := out[strings.LastIndex(out, "OBJECT"):]
	for _, want := range []string{"apps/Deployment shop/web", "deleted", "removed by shipsafe"} {
		if !strings.Contains(last, want) {
			t.Errorf("final table lacks %q:\n%s", want, last)
		}
	}
	for _, want := range []string{"fatal: no DATABASE_URL\x1b[K\n", "\r\x1b[3A"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%q", want, out)
		}
	}
	// Erasing the screen from where a drawing starts (its top-left corner when the table
	// fills the terminal) would push the screen into tmux's scrollback.
	if strings.Contains(out, "A\x1b[J") {
		t.Errorf("a redraw erases the screen before drawing over it:\n%q", out)
	}
}

// TestTruncateKeepsCharactersWhole: cuts never split a UTF-8 character, wide characters
// count two columns, and a long object name keeps its kind and name.
func TestTruncateKeepsCharactersWhole(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"héllo wörld", 7, "héllo …"},
		{"日本語のテキスト", 7, "日本語…"},
		{"short", 10, "short"},
	} {
		if got := truncate(tc.in, tc.n); got != tc.want || !utf8.ValidString(got) {
			t.Errorf("truncate(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
	got := truncateMiddle("apps/Deployment a-very-long-namespace-name/web-1", 30)
	if displayWidth(got) > 30 || !strings.HasPrefix(got, "apps/Deployment") || !strings.HasSuffix(got, "/web-1") {
		t.Errorf("truncateMiddle = %q", got)
	}
}

// TestLiveTableFitsNarrowTerminalsAndShowsAWindow: every line fits 40 and 80 columns;
// with more rows than lines the not-ready ones are shown and the rest summed up.
func TestLiveTableFitsNarrowTerminalsAndShowsAWindow(t *testing.T) {
	t.Parallel()
	for _, cols := range []int{40, 80} {
		var b strings.Builder
		tbl := newLiveTable(&b, t0, func() (int, int) { return cols, 10 }, false)
		for i := 0; i < 30; i++ {
			phase := health.Ready
			if i == 25 {
				phase = health.Failed
			}
			tbl.print(deploy.Event{Time: t0.Add(time.Second), Kind: deploy.Tracking, Track: &track.Event{
				Type: track.StatusChanged, Elapsed: time.Second,
				Object: track.ObjectRef{Kind: "ConfigMap", Namespace: "a-long-namespace-name", Name: fmt.Sprintf("cfg-%02d", i)},
				Status: health.Status{Phase: phase, Reason: "Reason", Message: "a long message that does not fit in the column ünïcödé"},
			}})
		}
		tbl.flush(t0.Add(2*time.Second), nil)
		out := strings.NewReplacer(eraseLine, "", eraseBelow, "").Replace(b.String())
		last := out[strings.LastIndex(out, "OBJECT"):]
		lines := strings.Split(strings.TrimSuffix(last, "\n"), "\n")
		if len(lines) != 9 || !strings.HasPrefix(lines[len(lines)-1], "29/30 ready, 1 failed, 23 more not sho") {
			t.Errorf("%d columns: want header, 7 rows and summary:\n%s", cols, last)
		}
		if !strings.Contains(last, "Failed") {
			t.Errorf("%d columns: the failed row is not in the window:\n%s", cols, last)
		}
		for _, l := range lines {
			if displayWidth(l) >= cols || !utf8.ValidString(l) {
				t.Errorf("%d columns: line %q is %d wide", cols, l, displayWidth(l))
			}
		}
	}
}

// TestRunUsageExitCodes runs the command line on mistakes that are caught before any
// cluster is contacted: each exits 2 and says what was wrong.
func TestRunUsageExitCodes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown command", []string{"deploi", "web"}, `unknown command "deploi"`},
		{"unknown flag", []string{"deploy", "web", "--no-such-flag"}, "unknown flag: --no-such-flag"},
		{"unknown root flag", []string{"--no-such-flag", "status", "web"}, "unknown flag: --no-such-flag"},
		{"missing argument", []string{"status"}, "one release name"},
		{"extra argument", []string{"version", "x"}, "no arguments"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out, errb strings.Builder
			code := Run(t.Context(), tc.args, strings.NewReader(""), &out, &errb, nil)
			if code != ExitInput || !strings.Contains(errb.String(), tc.want) {
				t.Errorf("Run(%q) = exit %d, stderr %q; want exit %d mentioning %q", tc.args, code, errb.String(), ExitInput, tc.want)
			}
		})
	}
	var out, errb strings.Builder
	if code := Run(t.Context(), nil, strings.NewReader(""), &out, &errb, nil); code != ExitOK || !strings.Contains(out.String(), "Usage:") {
		t.Errorf("bare shipsafe: exit %d, stdout %q; want help and exit 0", code, out.String())
	}
}
