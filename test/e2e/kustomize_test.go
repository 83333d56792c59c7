package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// copyDir copies the regular files under src to dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
}

// envConfigMaps returns the names of the generated staging-web-env-<hash> ConfigMaps.
func (e *env) envConfigMaps(t *testing.T, ctx context.Context, ns string) []string {
	t.Helper()
	cms, err := e.client.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{LabelSelector: "shipsafe.io/release=web"})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range cms.Items {
		if strings.HasPrefix(c.Name, "staging-web-env-") && c.DeletionTimestamp == nil {
			out = append(out, c.Name)
		}
	}
	return out
}

// TestKustomizeOverlay deploys a kustomization overlay (namePrefix, a patch, a merged
// configMapGenerator over a base), then changes a generated value: diff shows the new
// hashed ConfigMap, the Deployment's reference to it and the old ConfigMap to prune,
// and the deploy does exactly that.
func TestKustomizeOverlay(t *testing.T) {
	t.Parallel()
	e := setup(t)
	if img := e.image(t, "naive", "e2e"); img != "local.test/naive:e2e" {
		t.Fatalf("testdata/kustomize names local.test/naive:e2e, the image is %s", img)
	}
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	copyDir(t, filepath.Join("testdata", "kustomize"), dir)
	overlay := filepath.Join(dir, "overlays", "staging")

	r := e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-k", overlay)
	wantExit(t, r, 0)
	d, err := e.client.AppsV1().Deployments(ns).Get(ctx, "staging-web", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the overlay's Deployment: %v", err)
	}
	if *d.Spec.Replicas != 2 || d.Status.ReadyReplicas != 2 {
		t.Errorf("staging-web: replicas %d, ready %d; want the overlay's patch, 2 and 2", *d.Spec.Replicas, d.Status.ReadyReplicas)
	}
	first := e.envConfigMaps(t, ctx, ns)
	if len(first) != 1 {
		t.Fatalf("generated ConfigMaps %q, want one", first)
	}
	e.wantManaged(t, ctx, ns, "web", "Deployment/staging-web", "Service/staging-web", "ConfigMap/"+first[0])
	e.serves(t, ctx, ns, "web", "staging-v1") // the merged generator's value, through envFrom
	if got := e.status(t, ctx, ns, "web"); got.Deployed == nil || len(got.Deployed.Objects) != 3 {
		t.Errorf("status: %+v, want a deployed revision of 3 objects", got)
	}
	wantExit(t, e.shipsafe(t, ctx, "-n", ns, "diff", "web", "-k", overlay), 0)

	// A new generated value: a new hashed name, so a new ConfigMap and a rollout.
	kfile := filepath.Join(overlay, "kustomization.yaml")
	k, err := os.ReadFile(kfile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kfile, []byte(strings.Replace(string(k), "VERSION=staging-v1", "VERSION=staging-v2", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	r = e.shipsafe(t, ctx, "-n", ns, "diff", "web", "-k", overlay, "-o", "json")
	wantExit(t, r, 1)
	var plan planView
	if err := json.Unmarshal([]byte(r.stdout), &plan); err != nil {
		t.Fatalf("decode diff: %v\n%s", err, r.stdout)
	}
	var got []string
	for _, o := range plan.Objects {
		name := o.Action + " " + o.Object
		if o.Action == "create" && strings.HasPrefix(o.Object, "ConfigMap "+ns+"/staging-web-env-") {
			name = "create ConfigMap " + ns + "/staging-web-env-<new>"
		}
		got = append(got, name)
	}
	want := []string{
		"create ConfigMap " + ns + "/staging-web-env-<new>",
		"change apps/Deployment " + ns + "/staging-web",
		"prune ConfigMap " + ns + "/" + first[0],
	}
	if !slices.Equal(got, want) {
		t.Fatalf("diff objects %q, want %q", got, want)
	}
	if f := plan.Objects[1].Fields; len(f) != 1 || f[0].Path != ".spec.template.spec.containers[name=app].envFrom[0].configMapRef.name" {
		t.Errorf("deployment changes %+v, want only the envFrom reference", f)
	}

	wantExit(t, e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-k", overlay), 0)
	second := e.envConfigMaps(t, ctx, ns)
	if len(second) != 1 || second[0] == first[0] {
		t.Fatalf("generated ConfigMaps after the upgrade %q, want one new one (the old %s pruned)", second, first[0])
	}
	e.serves(t, ctx, ns, "web", "staging-v2")
	e.wantManaged(t, ctx, ns, "web", "Deployment/staging-web", "Service/staging-web", "ConfigMap/"+second[0])
}

// TestKustomizeBadInput: a kustomization that does not build stops before anything
// changes, with exit 2 and kustomize's reason.
func TestKustomizeBadInput(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte("resources:\n- missing.yaml\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"deploy", "diff"} {
		r := e.shipsafe(t, ctx, "-n", ns, cmd, "web", "-k", dir)
		wantExit(t, r, 2)
		wantContains(t, cmd+" error", r.stderr, "kustomize build "+dir, "missing.yaml")
	}
	r := e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-k", t.TempDir())
	wantExit(t, r, 2)
	wantContains(t, "deploy error", r.stderr, "holds no kustomization.yaml")
	if got := e.records(t, ctx, ns); len(got) != 0 {
		t.Errorf("a refused deploy wrote records %q", got)
	}
}
