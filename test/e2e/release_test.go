package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// TestReleaseLifecycle walks one release through install, upgrade (with a prune), a
// rollback to a chosen revision, uninstall and purge, checking what the pods serve and
// what the records say at each step.
func TestReleaseLifecycle(t *testing.T) {
	t.Parallel()
	e := setup(t)
	img := e.image(t, "naive", "e2e")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	v1 := writeManifest(t,
		workload{Name: "web", Image: img, Version: "v1", Replicas: 2, Service: true}.yaml(),
		configMap("web-config", map[string]string{"color": "blue"}),
		configMap("old-config", map[string]string{"legacy": "yes"}),
	)
	v2 := writeManifest(t,
		workload{Name: "web", Image: img, Version: "v2", Replicas: 2, Service: true}.yaml(),
		configMap("web-config", map[string]string{"color": "green"}),
	)

	// Install.
	r := e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-f", v1)
	wantExit(t, r, 0)
	wantContains(t, "install output", r.stdout, `release "web" revision 1 deployed`)
	e.wantManaged(t, ctx, ns, "web", "Deployment/web", "Service/web", "ConfigMap/web-config", "ConfigMap/old-config")
	e.serves(t, ctx, ns, "web", "v1")

	// Upgrade: v2 everywhere, and old-config, which v2 no longer has, is pruned.
	r = e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-f", v2)
	wantExit(t, r, 0)
	wantContains(t, "upgrade output", r.stdout, "pruned   ConfigMap "+ns+"/old-config", `release "web" revision 2 deployed`)
	e.wantManaged(t, ctx, ns, "web", "Deployment/web", "Service/web", "ConfigMap/web-config")
	if e.exists(t, ctx, ns, "ConfigMap", "old-config") {
		t.Error("old-config still exists after an upgrade that removed it")
	}
	e.serves(t, ctx, ns, "web", "v2")
	if got := statuses(e.history(t, ctx, ns, "web")); got != "1:superseded 2:deployed" {
		t.Fatalf("history after upgrade: %s", got)
	}

	// Rollback to revision 1: a new revision 3 with revision 1's objects.
	r = e.shipsafe(t, ctx, "-n", ns, "rollback", "web", "1")
	wantExit(t, r, 0)
	e.serves(t, ctx, ns, "web", "v1")
	e.wantManaged(t, ctx, ns, "web", "Deployment/web", "Service/web", "ConfigMap/web-config", "ConfigMap/old-config")
	revs := e.history(t, ctx, ns, "web")
	if got := statuses(revs); got != "1:superseded 2:superseded 3:deployed" {
		t.Fatalf("history after rollback: %s", got)
	}
	if d := revisionOf(t, revs, 3).Description; d != "rollback to 1" {
		t.Errorf("revision 3 description = %q, want %q", d, "rollback to 1")
	}
	text := e.shipsafe(t, ctx, "-n", ns, "history", "web")
	wantExit(t, text, 0)
	wantContains(t, "history", text.stdout, "rollback to 1")
	st := e.status(t, ctx, ns, "web")
	if st.Deployed == nil || st.Deployed.Revision != 3 {
		t.Fatalf("status: deployed = %+v, want revision 3", st.Deployed)
	}

	// list shows the release with its current revision.
	lr := e.shipsafe(t, ctx, "-n", ns, "list", "-o", "json")
	wantExit(t, lr, 0)
	var listed []revision
	if err := json.Unmarshal([]byte(lr.stdout), &listed); err != nil {
		t.Fatalf("decode list: %v", err)
	}
	if len(listed) != 1 || listed[0].Release != "web" || listed[0].Revision != 3 || listed[0].Status != "deployed" {
		t.Errorf("list -o json = %+v, want web at revision 3, deployed", listed)
	}

	// Uninstall deletes the objects and keeps the history.
	r = e.shipsafe(t, ctx, "-n", ns, "uninstall", "web")
	wantExit(t, r, 0)
	e.wantManaged(t, ctx, ns, "web")
	if got := e.records(t, ctx, ns); len(got) != 3 {
		t.Errorf("records after uninstall: %v, want the 3 revisions kept", got)
	}
	hist := e.history(t, ctx, ns, "web")
	if got := revisionOf(t, hist, 3).Status; got != "uninstalled" {
		t.Errorf("revision 3 after uninstall is %s, want uninstalled", got)
	}

	// --purge removes the records too.
	r = e.shipsafe(t, ctx, "-n", ns, "uninstall", "web", "--purge")
	wantExit(t, r, 0)
	if got := e.records(t, ctx, ns); len(got) != 0 {
		t.Errorf("records after purge: %v, want none", got)
	}
	r = e.shipsafe(t, ctx, "-n", ns, "history", "web")
	wantExit(t, r, 2)
	wantContains(t, "history of a purged release", r.stderr, `release "web" not found`)
}

// TestLargeRelease deploys a release whose record is over what one Secret holds (about
// 1.4 MiB after compression, as charts with large CRDs reach): it is recorded in parts,
// upgraded, rolled back, and purged with nothing left behind.
func TestLargeRelease(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	blobs := func(version string) []string {
		var docs []string
		for i := range 2 {
			raw := make([]byte, 600<<10)
			rng := rand.New(rand.NewChaCha8([32]byte{byte(i), version[1]}))
			for j := range raw {
				raw[j] = byte(rng.Uint32())
			}
			docs = append(docs, configMap(fmt.Sprintf("blob-%d", i), map[string]string{"version": version, "blob": base64.StdEncoding.EncodeToString(raw)}))
		}
		return docs
	}
	parts := func() int {
		list, err := e.client.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{FieldSelector: "type=shipsafe.io/release-part.v1"})
		must(t, err)
		return len(list.Items)
	}

	wantExit(t, e.shipsafe(t, ctx, "-n", ns, "deploy", "big", "-f", writeManifest(t, blobs("v1")...)), 0)
	if n := parts(); n < 2 {
		t.Fatalf("%d part secrets for a record of about 1.4 MiB, want 2 or more", n)
	}
	wantExit(t, e.shipsafe(t, ctx, "-n", ns, "deploy", "big", "-f", writeManifest(t, blobs("v2")...)), 0)
	wantConfig(t, ctx, e, ns, "blob-0", map[string]string{"version": "v2"})
	wantExit(t, e.shipsafe(t, ctx, "-n", ns, "rollback", "big"), 0)
	wantConfig(t, ctx, e, ns, "blob-0", map[string]string{"version": "v1"})
	if revs := e.history(t, ctx, ns, "big"); len(revs) != 3 {
		t.Fatalf("history has %d revisions, want 3", len(revs))
	}
	wantExit(t, e.shipsafe(t, ctx, "-n", ns, "uninstall", "big", "--purge"), 0)
	if n := parts(); n != 0 {
		t.Errorf("%d part secrets left after uninstall --purge", n)
	}
	if recs := e.records(t, ctx, ns); len(recs) != 0 {
		t.Errorf("records left after uninstall --purge: %v", recs)
	}
}
