package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/shipsafe/shipsafe/pkg/deploy"
	"github.com/shipsafe/shipsafe/pkg/health"
	"github.com/shipsafe/shipsafe/pkg/track"
)

// eventPrinter renders an action's events: one plain line per change for people and CI
// logs (no control characters), or one JSON object per line with -o json.
// In text, an object the deploy did not change (not applied again) that is Ready when
// first judged gets no line of its own: the summary counts them, so a no-op of a large
// release prints a few lines, not one per object. Any other status of such an object is
// printed, and from then on the object's lines are, as for any object.
type eventPrinter struct {
	w     io.Writer
	json  bool
	start time.Time
	enc   *json.Encoder
	// shown holds the unchanged objects whose status was printed.
	shown map[track.ObjectRef]bool
}

func newEventPrinter(w io.Writer, asJSON bool, start time.Time) *eventPrinter {
	return &eventPrinter{w: w, json: asJSON, start: start, enc: json.NewEncoder(w), shown: map[track.ObjectRef]bool{}}
}

// print renders one event; it is called from one goroutine at a time.
func (p *eventPrinter) print(e deploy.Event) {
	if p.json {
		_ = p.enc.Encode(e)
		return
	}
	at := e.Time.Sub(p.start).Round(100 * time.Millisecond)
	prefix := fmt.Sprintf("[%6s] ", formatElapsed(at))
	switch e.Kind {
	case deploy.Step:
		fmt.Fprintf(p.w, "%s%s\n", prefix, e.Message)
	case deploy.Applied:
		fmt.Fprintf(p.w, "%sapplied  %s\n", prefix, e.Object)
	case deploy.Deleted:
		fmt.Fprintf(p.w, "%sdeleted  %s\n", prefix, e.Object)
	case deploy.Pruned:
		fmt.Fprintf(p.w, "%spruned   %s\n", prefix, e.Object)
	case deploy.Warning:
		fmt.Fprintf(p.w, "%sWARNING  %s\n", prefix, e.Message)
	case deploy.Tracking:
		p.printTrack(prefix, e.Track)
	}
}

func (p *eventPrinter) printTrack(prefix string, t *track.Event) {
	switch t.Type {
	case track.StatusChanged:
		if t.Unchanged {
			if t.Status.Phase == health.Ready && !p.shown[t.Object] {
				return // counted by the summary
			}
			p.shown[t.Object] = true
		}
		line := fmt.Sprintf("%s%-11s %s", prefix, t.Status.Phase, t.Object)
		if t.Status.Reason != "" {
			line += ": " + t.Status.Reason
		}
		if t.Status.Message != "" {
			line += " (" + oneLine(t.Status.Message) + ")"
		}
		fmt.Fprintln(p.w, line)
	case track.ClusterEvent:
		fmt.Fprintf(p.w, "%sevent    %s: %s: %s\n", prefix, t.Source, t.Reason, oneLine(t.Message))
	case track.LogLine:
		which := "log"
		if t.Previous {
			which = "log(prev)"
		}
		fmt.Fprintf(p.w, "%s%-8s %s| %s\n", prefix, which, t.Source, oneLine(t.Message))
	case track.Done:
		fmt.Fprintf(p.w, "%s%s\n", prefix, oneLine(t.Message))
	}
}

// summary prints what became ready, in how long, and what did not.
func (p *eventPrinter) summary(res track.Result) {
	if p.json || len(res.Objects) == 0 {
		return
	}
	fmt.Fprintln(p.w, "summary:")
	quiet := 0
	for _, o := range res.Objects {
		switch {
		case o.Unchanged && o.Status.Phase == health.Ready && !p.shown[o.Ref]:
			quiet++
		case o.Status.Phase == health.Ready:
			fmt.Fprintf(p.w, "  ready    %-50s after %s\n", o.Ref, formatElapsed(o.ReadyAfter))
		default:
			fmt.Fprintf(p.w, "  %-8s %-50s %s %s\n", strings.ToLower(string(o.Status.Phase)), o.Ref, o.Status.Reason, oneLine(o.Status.Message))
		}
	}
	if quiet > 0 {
		fmt.Fprintf(p.w, "  ready    %d unchanged objects, not applied again (ready when first checked)\n", quiet)
	}
}

func formatElapsed(d time.Duration) string {
	return fmt.Sprintf("%.1fs", d.Seconds())
}

// oneLine keeps messages on one line so CI logs stay one event per line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
