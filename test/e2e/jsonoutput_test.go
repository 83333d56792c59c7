package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shipsafe/shipsafe/internal/clustertest"
	"github.com/shipsafe/shipsafe/internal/schematest"
)

// wantSchemaValid checks every line of a -o json run against the events schema, that
// the last one is the result with status, and the --report file against the report
// schema.
func wantSchemaValid(t *testing.T, e *env, stdout, report, status string) {
	t.Helper()
	events, err := schematest.Load(filepath.Join(e.repo, "docs", "schema", "v1", "events.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := schematest.Load(filepath.Join(e.repo, "docs", "schema", "v1", "report.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	for _, l := range lines {
		for _, v := range events.Validate([]byte(l)) {
			t.Errorf("-o json line %s: %s", l, v)
		}
	}
	var last struct{ Type, Status string }
	if json.Unmarshal([]byte(lines[len(lines)-1]), &last) != nil || last.Type != "result" || last.Status != status {
		t.Errorf("last line %s: want a result with status %s", lines[len(lines)-1], status)
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("--report: %v", err)
	}
	for _, v := range rep.Validate(b) {
		t.Errorf("--report: %s", v)
	}
}

// TestJSONOutputMatchesSchema deploys a release with -o json and --report: the lines
// and the report validate against docs/schema/v1, the result names every object as
// ready with its timing and counts the API requests. (The failure side is checked by
// TestFailuresAreReportedFast.)
func TestJSONOutputMatchesSchema(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	report := filepath.Join(t.TempDir(), "report.json")
	w := workload{Name: "web", Image: e.image(t, "naive", "e2e"), Version: "v1", Service: true}
	r := e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-f", writeManifest(t, w.yaml()), "-o", "json", "--report", report)
	wantExit(t, r, 0)
	wantSchemaValid(t, e, r.stdout, report, "deployed")
	var rep struct {
		Revision    int
		APIRequests int
		Lint        []struct{ Rule string }
		Objects     []struct {
			Verdict      string
			ReadySeconds *float64
		}
	}
	b, _ := os.ReadFile(report)
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Revision != 1 || rep.APIRequests == 0 || len(rep.Objects) != 2 || len(rep.Lint) == 0 {
		t.Errorf("report: %s", b)
	}
	for _, o := range rep.Objects {
		if o.Verdict != "Ready" || o.ReadySeconds == nil {
			t.Errorf("object not ready with a time in the report: %s", b)
		}
	}
	if !strings.Contains(r.stdout, `"type":"lint"`) {
		t.Errorf("no lint line in -o json:\n%s", r.stdout)
	}
}
