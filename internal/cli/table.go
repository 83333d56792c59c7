package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/shipsafe/shipsafe/pkg/deploy"
	"github.com/shipsafe/shipsafe/pkg/health"
	"github.com/shipsafe/shipsafe/pkg/track"
)

// isTerminal reports whether w is an interactive terminal and not a CI log: live tables
// are drawn only there.
func isTerminal(w io.Writer, getenv func(string) string) bool {
	if getenv("CI") != "" && getenv("CI") != "false" {
		return false
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// liveTable draws the tracked objects as a table that is redrawn in place, with the
// latest messages (steps, events, log lines) above it.
type liveTable struct {
	w       io.Writer
	start   time.Time
	order   []track.ObjectRef
	rows    map[track.ObjectRef]*tableRow
	drawn   int // lines of the last drawing, to move the cursor back over
	last    time.Time
	minGap  time.Duration
	pending bool
}

type tableRow struct {
	status     health.Status
	readyAfter time.Duration
	gone       string // "deleted" or "pruned" once removed from the cluster
}

func newLiveTable(w io.Writer, start time.Time) *liveTable {
	return &liveTable{w: w, start: start, rows: map[track.ObjectRef]*tableRow{}, minGap: 100 * time.Millisecond}
}

// print takes one event: messages scroll above the table, status changes update it.
func (t *liveTable) print(e deploy.Event) {
	if e.Kind == deploy.Tracking && e.Track.Type == track.StatusChanged {
		r, ok := t.rows[e.Track.Object]
		if !ok {
			r = &tableRow{}
			t.rows[e.Track.Object] = r
			t.order = append(t.order, e.Track.Object)
		}
		r.status = e.Track.Status
		if r.status.Phase == health.Ready && r.readyAfter == 0 {
			r.readyAfter = e.Track.Elapsed
		}
		t.redraw(e.Time, false)
		return
	}
	if e.Kind == deploy.Deleted || e.Kind == deploy.Pruned {
		for ref, r := range t.rows {
			if ref.String() == e.Object {
				r.gone = strings.ToLower(string(e.Kind))
			}
		}
	}
	if e.Kind == deploy.Applied || e.Kind == deploy.Tracking && e.Track.Type == track.Done {
		return // the table shows these
	}
	t.clear()
	var buf strings.Builder
	newEventPrinter(&buf, false, t.start).print(e)
	fmt.Fprint(t.w, buf.String())
	t.redraw(e.Time, true)
}

// flush draws the final state.
func (t *liveTable) flush() { t.redraw(time.Now(), true) }

func (t *liveTable) clear() {
	if t.drawn > 0 {
		fmt.Fprintf(t.w, "\x1b[%dA\x1b[J", t.drawn)
		t.drawn = 0
	}
}

func (t *liveTable) redraw(now time.Time, force bool) {
	if len(t.order) == 0 {
		return
	}
	if !force && now.Sub(t.last) < t.minGap {
		return
	}
	t.last = now
	t.clear()
	var b strings.Builder
	fmt.Fprintf(&b, "%-50s %-12s %-7s %-8s %s\n", "OBJECT", "STATUS", "READY", "TIME", "DETAIL")
	for _, ref := range t.order {
		r := t.rows[ref]
		ready := ""
		if r.status.Desired > 0 {
			ready = fmt.Sprintf("%d/%d", r.status.Ready, r.status.Desired)
		}
		elapsed := now.Sub(t.start)
		if r.readyAfter > 0 {
			elapsed = r.readyAfter
		}
		detail := strings.TrimSpace(r.status.Reason + " " + r.status.Message)
		phase := string(r.status.Phase)
		if r.gone != "" {
			phase, ready, detail = r.gone, "", "removed by shipsafe"
		}
		fmt.Fprintf(&b, "%-50s %-12s %-7s %-8s %s\n", truncate(ref.String(), 50), phase, ready, formatElapsed(elapsed), truncate(oneLine(detail), 70))
	}
	fmt.Fprint(t.w, b.String())
	t.drawn = len(t.order) + 1
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
