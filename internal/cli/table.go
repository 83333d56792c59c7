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

// isTerminal reports whether w is an interactive terminal that can redraw in place and
// not a CI log: live tables are drawn only there. TERM=dumb (or no TERM) gets lines.
func isTerminal(w io.Writer, getenv func(string) string) bool {
	if getenv("CI") != "" && getenv("CI") != "false" {
		return false
	}
	if t := getenv("TERM"); t == "" || t == "dumb" {
		return false
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// terminalSize returns a function reading w's size (columns, lines); zeros when unknown.
func terminalSize(w io.Writer) func() (int, int) {
	return func() (int, int) {
		f, ok := w.(*os.File)
		if !ok {
			return 0, 0
		}
		c, l, err := term.GetSize(int(f.Fd()))
		if err != nil {
			return 0, 0
		}
		return c, l
	}
}

// liveTable draws the tracked objects as a table redrawn in place, with the latest
// messages (steps, events, log lines) scrolling above it. Every line it draws fits the
// terminal's width, so the cursor can always move back over it; when the table is
// taller than the terminal it shows the objects that are not ready first and sums up
// the rest in its last line. The TIME column ticks (see tick).
type liveTable struct {
	w      io.Writer
	size   func() (int, int)
	colour bool
	start  time.Time
	// trackStart is when tracking began: TIME counts from it, as the tracker's own.
	trackStart time.Time
	order      []track.ObjectRef
	rows       map[track.ObjectRef]*tableRow
	// drawn holds the visible width of each line of the last drawing, and cols the
	// terminal's width then: after a resize the terminal may have rewrapped them.
	drawn  []int
	cols   int
	last   time.Time
	minGap time.Duration
}

type tableRow struct {
	status     health.Status
	readyAfter time.Duration
	gone       string // "deleted" or "pruned" once removed from the cluster
}

func newLiveTable(w io.Writer, start time.Time, size func() (int, int), colour bool) *liveTable {
	return &liveTable{w: w, size: size, colour: colour, start: start, rows: map[track.ObjectRef]*tableRow{}, minGap: 100 * time.Millisecond}
}

// print takes one event: messages scroll above the table, status changes update it.
func (t *liveTable) print(e deploy.Event) {
	if e.Kind == deploy.Tracking && t.trackStart.IsZero() {
		t.trackStart = e.Time.Add(-e.Track.Elapsed)
	}
	if e.Kind == deploy.Tracking && e.Track.Type == track.StatusChanged {
		r, ok := t.rows[e.Track.Object]
		if !ok {
			r = &tableRow{}
			t.rows[e.Track.Object] = r
			t.order = append(t.order, e.Track.Object)
		}
		// TIME of a ready object is when it last became ready, as the summary says.
		if e.Track.Status.Phase == health.Ready && r.status.Phase != health.Ready {
			r.readyAfter = e.Track.Elapsed
		}
		r.status = e.Track.Status
		t.redraw(e.Time, false)
		return
	}
	if e.Kind == deploy.Deleted || e.Kind == deploy.Pruned {
		if r, ok := t.rows[parseKey(e.Object)]; ok {
			r.gone = strings.ToLower(string(e.Kind))
		}
	}
	if e.Kind == deploy.Applied || e.Kind == deploy.Tracking && e.Track.Type == track.Done {
		return // the table shows these
	}
	var msg strings.Builder
	newEventPrinter(&msg, false, t.start).print(e)
	t.draw(e.Time, eraseRests(msg.String()))
}

// tick redraws so the TIME column moves and a resized terminal gets a fitting table.
func (t *liveTable) tick(now time.Time) { t.redraw(now, true) }

// flush draws the final state, with each object's time from the tracker's result.
func (t *liveTable) flush(now time.Time, res *track.Result) {
	if res != nil {
		for _, o := range res.Objects {
			if r, ok := t.rows[o.Ref]; ok && o.Status.Phase == health.Ready {
				r.status, r.readyAfter = o.Status, o.ReadyAfter
			}
		}
	}
	t.redraw(now, true)
}

// rewind returns the escape sequence that moves the cursor back to the first line of
// the last drawing. It erases nothing: the next drawing overwrites the old one line by
// line, erasing the rest of each line, and then erases what is left below it. Erasing
// from the top-left corner of the screen instead, which happens whenever the table fills
// the terminal, makes tmux (scroll-on-clear) push the whole screen into the scrollback:
// every frame would stay there.
func (t *liveTable) rewind() string {
	if len(t.drawn) == 0 {
		return ""
	}
	cols, _ := t.size()
	n := 0
	for _, w := range t.drawn {
		n++
		if cols > 0 && cols < t.cols && w > cols {
			n += (w - 1) / cols // rewrapped by a narrower terminal
		}
	}
	t.drawn = t.drawn[:0]
	return fmt.Sprintf("\r\x1b[%dA", n)
}

const (
	eraseLine  = "\x1b[K" // from the cursor to the end of its line
	eraseBelow = "\x1b[J" // from the cursor to the end of the screen
)

// eraseRests makes each line of s erase the rest of its terminal line, so that text
// written over an earlier drawing leaves nothing of it behind.
func eraseRests(s string) string { return strings.ReplaceAll(s, "\n", eraseLine+"\n") }

// redraw draws the table again unless it was drawn less than minGap ago (force: draw).
func (t *liveTable) redraw(now time.Time, force bool) {
	if !force && now.Sub(t.last) < t.minGap {
		return
	}
	t.draw(now, "")
}

// draw writes above (lines of messages that scroll up) and then the table, over the
// last drawing and in one write. The table is at least one line shorter than the
// terminal, so the terminal never scrolls it away while it is drawn.
func (t *liveTable) draw(now time.Time, above string) {
	if len(t.order) == 0 {
		fmt.Fprint(t.w, above)
		return
	}
	t.last = now
	var b strings.Builder
	b.WriteString(t.rewind())
	b.WriteString(above)
	cols, lines := t.size()
	if cols <= 0 {
		cols = 80
	}
	if lines <= 0 {
		lines = 24
	}
	t.cols = cols
	lay := layoutFor(cols-1, t.longestRef())
	line := func(s string, painted string) {
		b.WriteString(painted)
		b.WriteString(eraseLine + "\n")
		t.drawn = append(t.drawn, displayWidth(s))
	}
	head := lay.row("OBJECT", "STATUS", "READY", "TIME", "DETAIL")
	line(head, head)
	shown, hidden := t.window(lines - 3) // header, summary, and the cursor's line
	for _, ref := range shown {
		plain, painted := t.rowText(lay, ref, now)
		line(plain, painted)
	}
	sum := truncate(t.summary(now, hidden), cols-1)
	line(sum, sum)
	b.WriteString(eraseBelow)
	fmt.Fprint(t.w, b.String())
}

// window picks at most max rows: failed first, then progressing, then the rest, each in
// the order they appeared; hidden counts what did not fit.
func (t *liveTable) window(max int) (shown []track.ObjectRef, hidden int) {
	if max < 1 {
		max = 1
	}
	if len(t.order) <= max {
		return t.order, 0
	}
	pick := map[track.ObjectRef]bool{}
	for _, want := range []func(*tableRow) bool{
		func(r *tableRow) bool { return r.gone == "" && r.status.Phase == health.Failed },
		func(r *tableRow) bool { return r.gone == "" && r.status.Phase != health.Ready },
		func(*tableRow) bool { return true },
	} {
		for _, ref := range t.order {
			if len(pick) < max && want(t.rows[ref]) {
				pick[ref] = true
			}
		}
	}
	for _, ref := range t.order {
		if pick[ref] {
			shown = append(shown, ref)
		}
	}
	return shown, len(t.order) - len(shown)
}

// summary is the table's last line: counts and elapsed time.
func (t *liveTable) summary(now time.Time, hidden int) string {
	var ready, failed int
	for _, r := range t.rows {
		switch {
		case r.gone != "":
		case r.status.Phase == health.Ready:
			ready++
		case r.status.Phase == health.Failed:
			failed++
		}
	}
	s := fmt.Sprintf("%d/%d ready", ready, len(t.order))
	if failed > 0 {
		s += fmt.Sprintf(", %d failed", failed)
	}
	if hidden > 0 {
		s += fmt.Sprintf(", %d more not shown", hidden)
	}
	return s + ", " + formatElapsed(now.Sub(t.start).Truncate(100*time.Millisecond))
}

func (t *liveTable) rowText(lay tableLayout, ref track.ObjectRef, now time.Time) (plain, painted string) {
	r := t.rows[ref]
	ready := ""
	if r.status.Desired > 0 {
		ready = fmt.Sprintf("%d/%d", r.status.Ready, r.status.Desired)
	}
	elapsed := ""
	switch {
	case r.gone != "":
	case r.status.Phase == health.Ready:
		elapsed = formatElapsed(r.readyAfter)
	case !t.trackStart.IsZero():
		elapsed = formatElapsed(now.Sub(t.trackStart).Truncate(100 * time.Millisecond))
	}
	detail := oneLine(strings.TrimSpace(r.status.Reason + " " + r.status.Message))
	phase := string(r.status.Phase)
	if r.gone != "" {
		phase, ready, detail = r.gone, "", "removed by shipsafe"
	}
	plain = lay.row(ref.String(), phase, ready, elapsed, detail)
	if !t.colour {
		return plain, plain
	}
	colour := map[string]string{string(health.Ready): ansiGreen, string(health.Failed): ansiRed, string(health.Progressing): ansiYel}[phase]
	if colour == "" {
		return plain, plain
	}
	// Colour only the STATUS cell: its position is fixed by the layout.
	pre := lay.obj + 1
	cell := pad(phase, lay.status)
	return plain, plain[:byteOffset(plain, pre)] + colour + cell + ansiReset + plain[byteOffset(plain, pre+lay.status):]
}

func (t *liveTable) longestRef() int {
	n := 0
	for _, ref := range t.order {
		n = max(n, displayWidth(ref.String()))
	}
	return n
}
