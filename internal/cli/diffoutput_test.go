package cli

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/shipsafe/shipsafe/pkg/deploy"
	"github.com/shipsafe/shipsafe/pkg/diff"
	"github.com/shipsafe/shipsafe/pkg/manifest"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files of CLI output")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s:\n got:\n%s\nwant:\n%s", path, got, want)
	}
}

func samplePlan() *diff.Result {
	dep := manifest.Key{Group: "apps", Kind: "Deployment", Namespace: "shop", Name: "web"}
	cm := manifest.Key{Kind: "ConfigMap", Namespace: "shop", Name: "old"}
	fresh := manifest.Key{Kind: "ConfigMap", Namespace: "shop", Name: "fresh"}
	return &diff.Result{
		Release: "web", Namespace: "shop", Revision: 3,
		Objects: []diff.ObjectDiff{
			{Object: dep.String(), Key: dep, Action: diff.Change,
				Fields:    []diff.FieldChange{{Path: ".spec.replicas", Before: int64(2), After: int64(3)}},
				Conflicts: []diff.Conflict{{Path: ".spec.replicas", Manager: "kubectl", Subresource: "scale"}},
				Diff:      "--- apps/Deployment shop/web (live)\n+++ apps/Deployment shop/web (after deploy)\n@@ -3 +3 @@\n-  replicas: 2\n+  replicas: 3\n"},
			{Object: fresh.String(), Key: fresh, Action: diff.Create,
				Warnings: []string{"a warning"},
				Diff:     "--- ConfigMap shop/fresh (absent)\n+++ ConfigMap shop/fresh (created)\n@@ -0,0 +1 @@\n+kind: ConfigMap\n"},
			{Object: cm.String(), Key: cm, Action: diff.Prune, Diff: "--- ConfigMap shop/old (live)\n+++ ConfigMap shop/old (pruned)\n@@ -1 +0,0 @@\n-kind: ConfigMap\n"},
		},
		Unchanged: []string{"Service shop/web"},
	}
}

func TestPrintPlan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		colour bool
		file   string
	}{
		{name: "plain", file: "diff.txt"},
		{name: "coloured", colour: true, file: "diff-colour.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b strings.Builder
			printPlan(&b, samplePlan(), tt.colour)
			if got := strings.Contains(b.String(), "\x1b["); got != tt.colour {
				t.Errorf("ANSI colour in output: %v, want %v", got, tt.colour)
			}
			golden(t, tt.file, b.String())
		})
	}
}

func TestPrintDrift(t *testing.T) {
	t.Parallel()
	dep := manifest.Key{Group: "apps", Kind: "Deployment", Namespace: "shop", Name: "web"}
	cm := manifest.Key{Kind: "ConfigMap", Namespace: "shop", Name: "web-config"}
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	rep := &diff.DriftReport{
		Release: "web", Namespace: "shop", Revision: 3,
		Objects: []diff.ObjectDrift{
			{Object: dep.String(), Key: dep, State: diff.Changed, Fields: []diff.FieldDrift{
				{Path: ".spec.replicas", Deployed: int64(2), Live: int64(5),
					ChangedBy: &diff.Owner{Manager: "kubectl-scale", Operation: "Update", Subresource: "scale"}},
				{Path: ".spec.template.spec.containers[name=app].env[name=VERSION].value", Deployed: "v1", Live: "hand",
					ChangedBy: &diff.Owner{Manager: "kubectl-set", Operation: "Update", Time: at}},
				{Path: ".metadata.labels.team", Deployed: "a"},
			}},
			{Object: cm.String(), Key: cm, State: diff.Deleted},
		},
		InSync: []string{"Service shop/web"},
	}
	var b strings.Builder
	printDrift(&b, rep, false)
	golden(t, "drift.txt", b.String())

	b.Reset()
	printDrift(&b, &diff.DriftReport{Release: "web", Revision: 3, InSync: []string{"a", "b"}}, false)
	if want := "release \"web\" is in sync with revision 3 (2 objects)\n"; b.String() != want {
		t.Errorf("in sync: %q, want %q", b.String(), want)
	}
}

func TestReadOnlyExitCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want int
	}{
		{name: "no changes", err: nil, want: ExitOK},
		{name: "changes", err: &codeError{code: ExitRolledBack}, want: 1},
		{name: "bad input", err: &deploy.InputError{Err: errors.New("bad")}, want: ExitInput},
		{name: "usage", err: &usageError{errors.New("no source")}, want: ExitInput},
		// Any other failure of a read-only command is 2, not 3: nothing was changed.
		{name: "cluster error", err: errors.New("connection refused"), want: ExitInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := readOnly(func(*cobra.Command, []string) error { return tt.err })(nil, nil)
			if got := exitCode(err); got != tt.want {
				t.Errorf("exit code %d, want %d (err %v)", got, tt.want, err)
			}
			if tt.err != nil && (err == nil || err.Error() != tt.err.Error()) {
				t.Errorf("error %v, want the message of %v", err, tt.err)
			}
		})
	}
}
