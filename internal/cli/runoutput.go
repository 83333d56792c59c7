package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/shipsafe/shipsafe/pkg/deploy"
	"github.com/shipsafe/shipsafe/pkg/lint"
	"github.com/shipsafe/shipsafe/pkg/track"
)

// progressEvery is how often a CI log (and -o json) gets a line naming what a run is
// still waiting for, as kubedog prints one.
const progressEvery = 10 * time.Second

// runOutput renders one deploy or rollback run in one of three modes: a live table on a
// terminal, one line per event for CI logs and pipes, or JSON lines (-o json) ending in
// a "result" line. It also builds the --report document. Its methods are safe to call
// from the action's event callback and from its own ticker.
type runOutput struct {
	mu     sync.Mutex
	clock  func() time.Time
	stdout io.Writer
	stderr io.Writer
	json   bool
	enc    *json.Encoder
	lines  *eventPrinter
	live   *liveTable
	rec    *runRecord
	report string
	result *deploy.Result
	// notes are the chart's NOTES, for the result line and report of a success.
	notes   string
	counter interface{ Requests() int64 }

	lastProgress time.Time
	stopTicker   chan struct{}
	tickerDone   chan struct{}
}

// newRunOutput prepares the output of a run of command on release rel.
func (a *app) newRunOutput(command string, df *deployFlags, rel string) *runOutput {
	now := time.Now()
	o := &runOutput{
		clock: time.Now, stdout: a.stdout, stderr: a.stderr,
		json: df.output == "json", enc: json.NewEncoder(a.stdout),
		rec: newRunRecord(command, rel, "", now), report: df.report,
		lines: newEventPrinter(a.stdout, false, now), lastProgress: now,
	}
	if !o.json && isTerminal(a.stdout, a.env) {
		o.live = newLiveTable(a.stdout, now, terminalSize(a.stdout), a.env("NO_COLOR") == "")
	}
	return o
}

// attach names the namespace and the clients whose API requests the report counts.
func (o *runOutput) attach(env *actionEnv) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.rec.rep.Namespace = env.ns
	if env.clients != nil {
		o.counter = env.clients
	}
}

// event renders one event of the action.
func (o *runOutput) event(e deploy.Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.rec.event(e)
	switch {
	case o.json:
		if l, ok := lineOf(e, o.rec.rep.StartedAt); ok {
			_ = o.enc.Encode(l)
		}
	case o.live != nil:
		o.live.print(e)
	default:
		o.lines.print(e)
	}
}

// lint reports the lint findings of the objects about to be deployed: JSON lines with
// -o json, else on stderr.
func (o *runOutput) lint(findings []lint.Finding) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.rec.lint(findings)
	if !o.json {
		printFindings(o.stderr, findings)
		return
	}
	now := o.clock()
	for _, f := range findings {
		_ = o.enc.Encode(lintLine(f, now, o.rec.rep.StartedAt))
	}
}

// startTicker redraws the live table every second (elapsed time, terminal resizes) and
// prints a progress line every progressEvery in the other modes while objects wait.
func (o *runOutput) startTicker() {
	o.stopTicker, o.tickerDone = make(chan struct{}), make(chan struct{})
	winch, stopWinch := notifyResize()
	go func() {
		defer close(o.tickerDone)
		defer stopWinch()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-o.stopTicker:
				return
			case <-t.C:
			case <-winch:
			}
			o.tick(o.clock())
		}
	}()
}

func (o *runOutput) tick(now time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.live != nil {
		o.live.tick(now)
		return
	}
	if now.Sub(o.lastProgress) < progressEvery {
		return
	}
	waiting := o.rec.waiting()
	if len(waiting) == 0 {
		return
	}
	o.lastProgress = now
	if o.json {
		_ = o.enc.Encode(jsonLine{Type: lineProgress, Time: now.UTC(), ElapsedSeconds: seconds(now.Sub(o.rec.rep.StartedAt)), Waiting: waiting})
		return
	}
	names := make([]string, 0, len(waiting))
	for _, w := range waiting {
		s := parseRef(w.Object)
		if w.Reason != "" || w.Message != "" {
			s += " (" + oneLine(strings.TrimSpace(w.Reason+" "+w.Message)) + ")"
		}
		names = append(names, s)
	}
	fmt.Fprintf(o.stdout, "[%6s] waiting for %d: %s\n", formatElapsed(now.Sub(o.rec.rep.StartedAt).Truncate(100*time.Millisecond)), len(waiting), strings.Join(names, "; "))
}

// parseRef prints an objectRef as manifest.Key prints.
func parseRef(r objectRef) string { return keyOf(r).String() }

// settle stops the ticker and draws the live table's final state; later calls do
// nothing. Text output printed after it (summary, failure) goes below the table.
func (o *runOutput) settle() {
	if o.stopTicker != nil {
		close(o.stopTicker)
		<-o.tickerDone
		o.stopTicker = nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.live != nil {
		o.live.flush(o.clock(), o.resultTracked())
		o.live = nil
	}
}

// finish ends the run: settle, then the result line (-o json) and the report file. It
// returns err unchanged; a report that cannot be written is reported on stderr without
// changing the exit code, which says what happened in the cluster.
func (o *runOutput) finish(err error) error {
	o.settle()
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.clock()
	var requests int64
	if o.counter != nil {
		requests = o.counter.Requests()
	}
	rep := o.rec.finish(o.result, err, requests, now)
	if err == nil {
		rep.Notes = o.notes
	}
	if o.json {
		line := *rep
		line.Type = lineResult
		_ = o.enc.Encode(line)
	}
	if o.report != "" {
		if werr := writeReport(o.report, rep); werr != nil {
			fmt.Fprintf(o.stderr, "Warning: %v\n", werr)
		}
	}
	return err
}

// resultTracked is the tracker's result of a successful run, nil otherwise.
func (o *runOutput) resultTracked() *track.Result {
	if o.result == nil {
		return nil
	}
	return &o.result.Tracked
}
