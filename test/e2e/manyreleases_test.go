package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// TestFiftyConcurrentReleases deploys 50 different releases of a few ConfigMaps each into
// one namespace at once, from 50 processes: every deploy succeeds (none is starved by the
// others' requests or locks), each release is recorded as deployed, and a second round,
// a no-op for each, applies nothing.
func TestFiftyConcurrentReleases(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	const releases = 50
	manifests := make([]string, releases)
	for i := range manifests {
		manifests[i] = writeManifest(t, configMaps(fmt.Sprintf("r%02d", i), 3)...)
	}
	round := func(name string) []result {
		t.Helper()
		var wg sync.WaitGroup
		results := make([]result, releases)
		for i := range releases {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = e.shipsafe(t, ctx, "-n", ns, "deploy", fmt.Sprintf("rel-%02d", i), "-f", manifests[i], "--timeout", "3m")
			}()
		}
		wg.Wait()
		for i, r := range results {
			if r.code != 0 {
				t.Errorf("%s: deploy of rel-%02d exited %d:\n%s%s", name, i, r.code, r.stdout, r.stderr)
			}
		}
		return results
	}
	round("install")
	for i, r := range round("no-op") {
		if strings.Contains(r.stdout, "applied  ") {
			t.Errorf("no-op deploy of rel-%02d applied objects:\n%s", i, r.stdout)
		}
	}
	cms, err := e.client.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{LabelSelector: "shipsafe.io/release"})
	must(t, err)
	if len(cms.Items) != releases*3 {
		t.Errorf("%d ConfigMaps of releases, want %d", len(cms.Items), releases*3)
	}
	for i := range releases {
		if got := statuses(e.history(t, ctx, ns, fmt.Sprintf("rel-%02d", i))); got != "1:superseded 2:deployed" {
			t.Errorf("history of rel-%02d: %s, want 1:superseded 2:deployed", i, got)
		}
	}
}
