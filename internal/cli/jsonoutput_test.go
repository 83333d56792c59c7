package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipsafe/shipsafe/internal/schematest"
	"github.com/shipsafe/shipsafe/pkg/deploy"
	"github.com/shipsafe/shipsafe/pkg/health"
	"github.com/shipsafe/shipsafe/pkg/lint"
	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/track"
)

func schemas(t *testing.T) (events, rep *schematest.Validator) {
	t.Helper()
	var err error
	if events, err = schematest.Load("../../docs/schema/v1/events.schema.json"); err != nil {
		t.Fatal(err)
	}
	if rep, err = schematest.Load("../../docs/schema/v1/report.schema.json"); err != nil {
		t.Fatal(err)
	}
	return events, rep
}

// runJSON feeds events and an outcome through a -o json run with --report and returns
// its lines and the report file; notes are the chart's NOTES the run had.
func runJSON(t *testing.T, res *deploy.Result, err error, notes string) (lines []string, report []byte) {
	t.Helper()
	var out, errb bytes.Buffer
	path := filepath.Join(t.TempDir(), "report.json")
	a := &app{stdout: &out, stderr: &errb, env: func(string) string { return "" }}
	o := a.newRunOutput("deploy", &deployFlags{output: "json", report: path}, "web")
	o.clock = func() time.Time { return t0.Add(5 * time.Second) }
	o.rec.rep.StartedAt, o.lastProgress = t0, t0
	o.lint([]lint.Finding{{Rule: "SS003", Severity: lint.SeverityWarning, Object: manifest.Key{Group: "apps", Kind: "Deployment", Namespace: "shop", Name: "web"}, Message: "no preStop", Fix: "add one"}})
	for i, e := range events() {
		o.event(e)
		if i == 3 {
			o.tick(t0.Add(9 * time.Second))  // too early for a progress line
			o.tick(t0.Add(11 * time.Second)) // a progress line: web is not ready
		}
	}
	o.result, o.notes = res, notes
	if got := o.finish(err); got != err {
		t.Errorf("finish changed the error: %v", got)
	}
	b, rerr := os.ReadFile(path)
	if rerr != nil {
		t.Fatalf("report: %v", rerr)
	}
	return strings.Split(strings.TrimSpace(out.String()), "\n"), b
}

func checkLines(t *testing.T, lines []string, wantStatus string) map[string]any {
	t.Helper()
	ev, _ := schemas(t)
	types := map[string]int{}
	for _, l := range lines {
		for _, e := range ev.Validate([]byte(l)) {
			t.Errorf("line %s: %s", l, e)
		}
		var m map[string]any
		_ = json.Unmarshal([]byte(l), &m)
		types[m["type"].(string)]++
	}
	for _, want := range []string{"step", "applied", "lint", "status", "log", "deleted", "progress", "result"} {
		if types[want] == 0 {
			t.Errorf("no %q line in:\n%s", want, strings.Join(lines, "\n"))
		}
	}
	var last map[string]any
	_ = json.Unmarshal([]byte(lines[len(lines)-1]), &last)
	if last["type"] != "result" || last["status"] != wantStatus {
		t.Errorf("last line %s: want type result, status %s", lines[len(lines)-1], wantStatus)
	}
	return last
}

func TestJSONOutputAndReportMatchSchemaOnFailure(t *testing.T) {
	t.Parallel()
	ferr := &deploy.FailedError{Release: "web", Revision: 2, Reason: "apps/Deployment shop/web: CrashLoopBackOff", Restored: true, RolledBackTo: 1}
	lines, rep := runJSON(t, nil, ferr, "Thanks.")
	last := checkLines(t, lines, "rolled-back")
	if _, ok := last["notes"]; ok {
		t.Errorf("a failed run's result has notes: %v", last["notes"])
	}
	if last["exitCode"] != 1.0 || last["rolledBackTo"] != 1.0 || last["revision"] != 2.0 {
		t.Errorf("result: %v", last)
	}
	f, _ := last["failure"].(map[string]any)
	if f == nil || f["reason"] != ferr.Reason || !strings.Contains(strings.Join(toStrings(f["evidence"]), "\n"), "fatal: no DATABASE_URL") {
		t.Errorf("failure lacks reason or evidence: %v", f)
	}
	_, rs := schemas(t)
	for _, e := range rs.Validate(rep) {
		t.Errorf("report: %s", e)
	}
	if bytes.Contains(rep, []byte(`"type"`)) {
		t.Errorf("report has the line's type field:\n%s", rep)
	}
}

func TestJSONOutputAndReportMatchSchemaOnSuccess(t *testing.T) {
	t.Parallel()
	web := track.ObjectRef{Group: "apps", Kind: "Deployment", Namespace: "shop", Name: "web"}
	res := &deploy.Result{Release: "web", Revision: 2, Status: release.StatusDeployed, Duration: 5 * time.Second,
		Tracked: track.Result{Objects: []track.ObjectResult{{Ref: web, Status: health.Status{Phase: health.Ready, Ready: 2, Desired: 2}, ReadyAfter: 4 * time.Second}}}}
	lines, rep := runJSON(t, res, nil, "Thanks for deploying.\n")
	last := checkLines(t, lines, "deployed")
	if last["notes"] != "Thanks for deploying.\n" {
		t.Errorf("result notes %q, want the chart's NOTES", last["notes"])
	}
	if last["failure"] != nil || last["durationSeconds"] != 5.0 {
		t.Errorf("result: %v", last)
	}
	objs := last["objects"].([]any)
	o := objs[0].(map[string]any)
	// tracking started at t0+0 (the status event at 2 s had 2 s elapsed): ready at 4 s.
	if o["verdict"] != "Ready" || o["readySeconds"] != 4.0 {
		t.Errorf("object: %v", o)
	}
	_, rs := schemas(t)
	for _, e := range rs.Validate(rep) {
		t.Errorf("report: %s", e)
	}
}

func TestParseKeyReadsKeyStrings(t *testing.T) {
	t.Parallel()
	for _, k := range []manifest.Key{
		{Group: "apps", Kind: "Deployment", Namespace: "shop", Name: "web"},
		{Kind: "Service", Namespace: "shop", Name: "web"},
		{Kind: "Namespace", Name: "shop"},
		{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "x"},
	} {
		if got := parseKey(k.String()); got != k {
			t.Errorf("parseKey(%q) = %+v", k.String(), got)
		}
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}
