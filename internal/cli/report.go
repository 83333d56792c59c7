package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/shipsafe/shipsafe/pkg/deploy"
	"github.com/shipsafe/shipsafe/pkg/health"
	"github.com/shipsafe/shipsafe/pkg/lint"
	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/track"
)

// ReportSchema names the version of the report format (docs/schema/v1). A change that
// removes or retypes a field is a new version.
const ReportSchema = "shipsafe.io/report/v1"

// maxEvidence bounds the evidence a report keeps (the latest lines win).
const maxEvidence = 50

// report is one deploy or rollback run: the --report document and, with Type
// "result", the last line of -o json.
type report struct {
	Type            string         `json:"type,omitempty"`
	SchemaVersion   string         `json:"schemaVersion"`
	Command         string         `json:"command"`
	Release         string         `json:"release"`
	Namespace       string         `json:"namespace"`
	Revision        int            `json:"revision"`
	Status          string         `json:"status"`
	ExitCode        int            `json:"exitCode"`
	RolledBackTo    int            `json:"rolledBackTo"`
	Recovered       int            `json:"recovered"`
	StartedAt       time.Time      `json:"startedAt"`
	FinishedAt      time.Time      `json:"finishedAt"`
	DurationSeconds float64        `json:"durationSeconds"`
	Objects         []objectReport `json:"objects"`
	Failure         *failureReport `json:"failure"`
	Lint            []lintReport   `json:"lint"`
	APIRequests     int64          `json:"apiRequests"`
	// Notes is the chart's rendered NOTES.txt, after a successful deploy of a chart
	// that has one (absent otherwise).
	Notes string `json:"notes,omitempty"`
}

// objectReport is one object's timing and verdict. Seconds count from the start of the
// run; null when it did not happen.
type objectReport struct {
	Object         objectRef `json:"object"`
	Verdict        string    `json:"verdict"` // Ready, Progressing, Failed, deleted, pruned, or applied (not tracked)
	Reason         string    `json:"reason"`
	Message        string    `json:"message"`
	Ready          int32     `json:"ready"`
	Desired        int32     `json:"desired"`
	AppliedSeconds *float64  `json:"appliedSeconds"`
	ReadySeconds   *float64  `json:"readySeconds"`
}

// failureReport says why a run failed, with the cluster's evidence.
type failureReport struct {
	Reason   string   `json:"reason"`
	Error    string   `json:"error"`
	Evidence []string `json:"evidence"`
}

// lintReport is a lint finding in a report.
type lintReport struct {
	Rule      string    `json:"rule"`
	Severity  string    `json:"severity"`
	Object    objectRef `json:"object"`
	Container string    `json:"container"`
	Message   string    `json:"message"`
	Fix       string    `json:"fix"`
}

// runRecord builds a report from a run's events and outcome. Calls are serialised by
// the caller.
type runRecord struct {
	rep     report
	objects map[manifest.Key]*objectReport
	order   []manifest.Key
	// trackStart is when tracking began, learnt from the first tracker event.
	trackStart time.Time
	evidence   []string
}

func newRunRecord(command, rel, ns string, start time.Time) *runRecord {
	return &runRecord{
		rep:     report{SchemaVersion: ReportSchema, Command: command, Release: rel, Namespace: ns, StartedAt: start.UTC(), Lint: []lintReport{}},
		objects: map[manifest.Key]*objectReport{},
	}
}

func (r *runRecord) object(k manifest.Key) *objectReport {
	o, ok := r.objects[k]
	if !ok {
		o = &objectReport{Object: refOf(k), Verdict: "applied"}
		r.objects[k] = o
		r.order = append(r.order, k)
	}
	return o
}

func (r *runRecord) since(t time.Time) *float64 {
	s := seconds(t.Sub(r.rep.StartedAt))
	return &s
}

// lint records findings about the objects being deployed.
func (r *runRecord) lint(findings []lint.Finding) {
	for _, f := range findings {
		r.rep.Lint = append(r.rep.Lint, lintReport{Rule: f.Rule, Severity: string(f.Severity), Object: refOf(f.Object), Container: f.Container, Message: f.Message, Fix: f.Fix})
	}
}

// event records one deploy event.
func (r *runRecord) event(e deploy.Event) {
	switch e.Kind {
	case deploy.Applied:
		o := r.object(parseKey(e.Object))
		if o.AppliedSeconds == nil {
			o.AppliedSeconds = r.since(e.Time)
		}
	case deploy.Deleted, deploy.Pruned:
		if o, ok := r.objects[parseKey(e.Object)]; ok || e.Kind == deploy.Pruned {
			if !ok {
				o = r.object(parseKey(e.Object))
			}
			o.Verdict = map[deploy.EventKind]string{deploy.Deleted: "deleted", deploy.Pruned: "pruned"}[e.Kind]
		}
	case deploy.Tracking:
		r.track(e.Time, e.Track)
	}
}

func (r *runRecord) track(at time.Time, t *track.Event) {
	if r.trackStart.IsZero() {
		r.trackStart = at.Add(-t.Elapsed)
	}
	switch t.Type {
	case track.StatusChanged:
		o := r.object(t.Object)
		if o.Verdict == string(health.Ready) && t.Status.Phase != health.Ready {
			o.ReadySeconds = nil
		}
		o.Verdict, o.Reason, o.Message = string(t.Status.Phase), t.Status.Reason, oneLine(t.Status.Message)
		o.Ready, o.Desired = t.Status.Ready, t.Status.Desired
		if t.Status.Phase == health.Ready && o.ReadySeconds == nil {
			o.ReadySeconds = r.since(at)
		}
	case track.ClusterEvent:
		r.addEvidence(fmt.Sprintf("Warning %s %s: %s", t.Reason, t.Source, oneLine(t.Message)))
	case track.LogLine:
		r.addEvidence(fmt.Sprintf("log %s: %s", t.Source, t.Message))
	}
}

func (r *runRecord) addEvidence(s string) {
	r.evidence = append(r.evidence, s)
	if len(r.evidence) > maxEvidence {
		r.evidence = r.evidence[len(r.evidence)-maxEvidence:]
	}
}

// waiting returns the tracked objects not ready yet.
func (r *runRecord) waiting() []waitingObject {
	var out []waitingObject
	for _, k := range r.order {
		o := r.objects[k]
		if o.Verdict == string(health.Progressing) || o.Verdict == string(health.Failed) {
			out = append(out, waitingObject{Object: o.Object, Phase: o.Verdict, Reason: o.Reason, Message: o.Message})
		}
	}
	return out
}

// finish completes the report from the run's result or error.
func (r *runRecord) finish(res *deploy.Result, err error, requests int64, now time.Time) *report {
	rep := r.rep
	rep.FinishedAt = now.UTC()
	rep.DurationSeconds = seconds(now.Sub(r.rep.StartedAt))
	rep.ExitCode = exitCode(err)
	rep.Status = statusOf(rep.ExitCode)
	rep.APIRequests = requests
	if res != nil {
		rep.Revision, rep.Recovered = res.Revision, res.Recovered
		for _, o := range res.Tracked.Objects {
			or := r.object(o.Ref)
			or.Verdict, or.Reason, or.Message = string(o.Status.Phase), o.Status.Reason, oneLine(o.Status.Message)
			or.Ready, or.Desired = o.Status.Ready, o.Status.Desired
			if o.Status.Phase == health.Ready && !r.trackStart.IsZero() {
				or.ReadySeconds = r.since(r.trackStart.Add(o.ReadyAfter))
			}
		}
		for _, p := range res.Pruned {
			r.object(parseKey(p)).Verdict = "pruned"
		}
	}
	var ferr *deploy.FailedError
	if errors.As(err, &ferr) {
		rep.Revision, rep.RolledBackTo = ferr.Revision, ferr.RolledBackTo
	}
	if err != nil {
		f := &failureReport{Reason: err.Error(), Error: err.Error(), Evidence: append([]string{}, r.evidence...)}
		if ferr != nil {
			f.Reason = ferr.Reason
		}
		rep.Failure = f
	}
	rep.Objects = make([]objectReport, 0, len(r.order))
	for _, k := range r.order {
		rep.Objects = append(rep.Objects, *r.objects[k])
	}
	return &rep
}

// statusOf names a run's outcome by its exit code.
func statusOf(code int) string {
	switch code {
	case ExitOK:
		return "deployed"
	case ExitRolledBack:
		return "rolled-back"
	case ExitInput:
		return "invalid"
	case ExitLocked:
		return "locked"
	}
	return "failed"
}

// writeReport writes rep to path as one indented JSON document (written beside and
// renamed, so a reader never sees half a report).
func writeReport(path string, rep *report) error {
	doc := *rep
	doc.Type = ""
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".shipsafe-report-*")
	if err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	return nil
}
