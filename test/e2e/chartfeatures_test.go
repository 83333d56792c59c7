package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// missingNamespace returns the name of a namespace that does not exist, deleted at the
// end of the test if the test made it.
func missingNamespace(t *testing.T, e *env, prefix string) string {
	t.Helper()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	ns := prefix + "-" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = e.client.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{})
	})
	return ns
}

// wantNamespaceKept fails the test unless namespace ns exists and is not being deleted.
func wantNamespaceKept(t *testing.T, ctx context.Context, e *env, ns string) map[string]string {
	t.Helper()
	got, err := e.client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("namespace %s: %v", ns, err)
	}
	if got.DeletionTimestamp != nil {
		t.Fatalf("namespace %s is being deleted", ns)
	}
	return got.Labels
}

// TestCreateNamespace deploys into a missing namespace: refused (exit 2, nothing
// created) without --create-namespace, created with it (before the lock and records,
// which live in it); uninstall keeps it, as Helm does.
func TestCreateNamespace(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ns := missingNamespace(t, e, "t-createns")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	chart := infoChart(t, "1.0.0")

	r := e.shipsafe(t, ctx, "-n", ns, "deploy", "app", "--chart", chart)
	wantExit(t, r, 2)
	wantContains(t, "missing namespace", r.stderr, `namespace "`+ns+`" does not exist`, "--create-namespace")
	if _, err := e.client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("the refused deploy made namespace %s (err %v)", ns, err)
	}

	r = e.shipsafe(t, ctx, "-n", ns, "deploy", "app", "--chart", chart, "--create-namespace")
	wantExit(t, r, 0)
	wantConfig(t, ctx, e, ns, "app-info", map[string]string{"chartVersion": "1.0.0"})
	if labels := wantNamespaceKept(t, ctx, e, ns); labels["shipsafe.io/release"] != "" {
		t.Errorf("the created namespace is owned by the release: labels %v", labels)
	}
	e.wantConsistent(t, ctx, ns, "app")
	wantExit(t, e.shipsafe(t, ctx, "-n", ns, "deploy", "app", "--chart", chart, "--create-namespace", "--set", "greeting=again"), 0)

	wantExit(t, e.shipsafe(t, ctx, "-n", ns, "uninstall", "app"), 0)
	wantNamespaceKept(t, ctx, e, ns)
	if e.exists(t, ctx, ns, "ConfigMap", "app-info") {
		t.Error("uninstall left ConfigMap app-info")
	}
}

// TestReleaseHoldsItsOwnNamespace deploys a release whose objects include the Namespace
// it is deployed into, which does not exist yet: the Namespace is made before the lock
// and records that live in it. An upgrade and an uninstall keep it (deleting it would
// delete the records).
func TestReleaseHoldsItsOwnNamespace(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ns := missingNamespace(t, e, "t-ownns")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	docs := func(v string) string {
		return writeManifest(t, "apiVersion: v1\nkind: Namespace\nmetadata: {name: "+ns+"}",
			"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {v: \""+v+"\"}")
	}
	wantExit(t, e.shipsafe(t, ctx, "-n", ns, "deploy", "own", "-f", docs("1")), 0)
	if labels := wantNamespaceKept(t, ctx, e, ns); labels["shipsafe.io/release"] != "own" {
		t.Errorf("namespace %s labels %v: want it managed by release own", ns, labels)
	}
	wantConfig(t, ctx, e, ns, "settings", map[string]string{"v": "1"})
	wantExit(t, e.shipsafe(t, ctx, "-n", ns, "deploy", "own", "-f", docs("2")), 0)
	st := e.wantConsistent(t, ctx, ns, "own")
	wantContains(t, "revision 2 objects", strings.Join(st.Deployed.Objects, "\n"), "Namespace "+ns)

	r := e.shipsafe(t, ctx, "-n", ns, "uninstall", "own")
	wantExit(t, r, 0)
	wantContains(t, "uninstall output", r.stdout+r.stderr, "kept Namespace "+ns)
	wantNamespaceKept(t, ctx, e, ns)
	if e.exists(t, ctx, ns, "ConfigMap", "settings") {
		t.Error("uninstall left ConfigMap settings")
	}
	if revs := e.records(t, ctx, ns); len(revs) == 0 {
		t.Error("the release's records are gone with its uninstall (history kept is the default)")
	}
}

// TestChartNotesValuesAndGet deploys a chart with values from a file and --set, prints
// its NOTES, and reads back what each revision recorded with `get values|manifest|hooks|
// notes`: the values as given (merged), Secret data masked unless --show-secrets, the
// test hook recorded. --description and --labels go on the record.
func TestChartNotesValuesAndGet(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	chart := infoChart(t, "1.0.0")
	values := filepath.Join(t.TempDir(), "values.yaml")
	must(t, os.WriteFile(values, []byte("greeting: hi\nnested:\n  list: [x]\n  depth: 2\n"), 0o644))

	r := e.shipsafe(t, ctx, "-n", ns, "deploy", "app", "--chart", chart, "--values", values,
		"--set", "password=p1-secret,nested.depth=3", "--description", "first of many", "--labels", "team=web,tier=front")
	wantExit(t, r, 0)
	wantContains(t, "deploy output", r.stdout, "NOTES:\nThanks for deploying app with info 1.0.0; it greets hi.")
	// The NOTES are in the -o json result line and the --report too.
	report := filepath.Join(t.TempDir(), "report.json")
	r = e.shipsafe(t, ctx, "-n", ns, "deploy", "app", "--chart", chart, "--set", "greeting=yo", "-o", "json", "--report", report)
	wantExit(t, r, 0)
	wantSchemaValid(t, e, r.stdout, report, "deployed")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	b, err := os.ReadFile(report)
	must(t, err)
	const notes2 = "Thanks for deploying app with info 1.0.0; it greets yo."
	for what, doc := range map[string]string{"-o json result line": lines[len(lines)-1], "--report": string(b)} {
		var res struct{ Notes string }
		must(t, json.Unmarshal([]byte(doc), &res))
		if strings.TrimSpace(res.Notes) != notes2 {
			t.Errorf("%s: notes %q, want %q", what, res.Notes, notes2)
		}
	}

	getValues := func(extra ...string) map[string]any {
		r := e.shipsafe(t, ctx, append([]string{"-n", ns, "get", "values", "app", "-o", "json"}, extra...)...)
		wantExit(t, r, 0)
		var v map[string]any
		must(t, json.Unmarshal([]byte(r.stdout), &v))
		return v
	}
	want1 := map[string]any{"greeting": "hi", "password": "p1-secret", "nested": map[string]any{"list": []any{"x"}, "depth": float64(3)}}
	if got := getValues("--revision", "1"); !reflect.DeepEqual(got, want1) {
		t.Errorf("get values --revision 1 = %v, want %v", got, want1)
	}
	if got := getValues(); !reflect.DeepEqual(got, map[string]any{"greeting": "yo"}) {
		t.Errorf("get values (deployed revision 2) = %v, want greeting: yo only", got)
	}

	r = e.shipsafe(t, ctx, "-n", ns, "get", "manifest", "app", "--revision", "1")
	wantExit(t, r, 0)
	wantContains(t, "get manifest", r.stdout, "name: app-info", "name: app-creds", "password: '(masked")
	if strings.Contains(r.stdout, "p1-secret") {
		t.Errorf("get manifest shows Secret data without --show-secrets:\n%s", r.stdout)
	}
	r = e.shipsafe(t, ctx, "-n", ns, "get", "manifest", "app", "--revision", "1", "--show-secrets")
	wantContains(t, "get manifest --show-secrets", r.stdout, "password: p1-secret")

	r = e.shipsafe(t, ctx, "-n", ns, "get", "hooks", "app")
	wantExit(t, r, 0)
	wantContains(t, "get hooks", r.stdout, "name: app-ping", "helm.sh/hook: test")
	if _, err := e.client.CoreV1().Pods(ns).Get(ctx, "app-ping", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the test hook Pod app-ping was created by a deploy (err %v)", err)
	}
	r = e.shipsafe(t, ctx, "-n", ns, "get", "notes", "app")
	wantExit(t, r, 0)
	wantContains(t, "get notes", r.stdout, "Thanks for deploying app with info 1.0.0; it greets yo.")
	wantExit(t, e.shipsafe(t, ctx, "-n", ns, "get", "values", "app", "--revision", "9"), 2)

	if rev := revisionOf(t, e.history(t, ctx, ns, "app"), 1); rev.Description != "first of many" {
		t.Errorf("revision 1 description %q, want the --description", rev.Description)
	}
	secs, err := e.client.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{LabelSelector: "team=web,tier=front"})
	must(t, err)
	if len(secs.Items) != 1 || secs.Items[0].Labels["shipsafe.io/revision"] != "1" {
		t.Errorf("records labelled team=web,tier=front: %d, want revision 1's only", len(secs.Items))
	}
}
