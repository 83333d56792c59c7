package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// plantRecord writes a release record Secret by hand, as anyone who may write Secrets
// in the namespace can, with data as its data.
func (e *env) plantRecord(t *testing.T, ctx context.Context, ns, rel string, number int, status string, data map[string][]byte) {
	t.Helper()
	sec := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("shipsafe.%s.v%d", rel, number), Namespace: ns, Labels: map[string]string{
			"owner": "shipsafe", "shipsafe.io/release": rel, "shipsafe.io/revision": fmt.Sprint(number), "shipsafe.io/status": status,
		}},
		Type: "shipsafe.io/release.v1",
		Data: data,
	}
	if _, err := e.client.CoreV1().Secrets(ns).Create(ctx, sec, metav1.CreateOptions{}); err != nil {
		t.Fatalf("plant record %s: %v", sec.Name, err)
	}
}

// gzipped returns b gzip'd.
func gzipped(t *testing.T, chunk []byte, repeat int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	must(t, err)
	for range repeat {
		_, err := zw.Write(chunk)
		must(t, err)
	}
	must(t, zw.Close())
	return buf.Bytes()
}

// wantBoundedList runs `list -n ns` under GNU time and fails the test when it peaks
// over limitMiB of memory. (The rusage Go's exec returns is no measure: a child
// started with vfork inherits the test process's peak RSS. list -A is no measure
// either: it reads every release of every test running on the cluster.)
func (e *env) wantBoundedList(t *testing.T, ctx context.Context, ns string, limitMiB int) {
	t.Helper()
	gnuTime, err := exec.LookPath("/usr/bin/time")
	if err != nil {
		t.Logf("memory of list not measured: %v", err)
		return
	}
	rssFile := filepath.Join(t.TempDir(), "maxrss")
	cmd := exec.CommandContext(ctx, gnuTime, "-f", "%M", "-o", rssFile, e.binary, "--kubeconfig", e.kubeconfig, "-n", ns, "list")
	cmd.Env = append(os.Environ(), "CI=true")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("list -n %s: %v\n%s", ns, err, out)
	}
	b, err := os.ReadFile(rssFile)
	must(t, err)
	kib, err := strconv.Atoi(strings.TrimSpace(string(b)))
	must(t, err)
	t.Logf("list -n %s peaked at %d MiB", ns, kib>>10)
	if kib>>10 > limitMiB {
		t.Errorf("list -n %s peaked at %d MiB of memory reading a 512 MiB gzip bomb; want at most %d MiB", ns, kib>>10, limitMiB)
	}
}

// TestDamagedRecordsAreSkipped plants three records nobody can read: a gzip bomb (512
// MiB of zeros in under 1 MiB), one naming 10,000 parts, and garbage as the latest
// revision of a deployed release. `list -A` still lists every other release, reading
// the bomb costs no more than a bounded amount of memory, and deploy, history and
// status of the release with the damaged record go on, each naming the record and the
// command that removes it.
func TestDamagedRecordsAreSkipped(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	wantExit(t, e.deployWeb(t, ctx, ns, configMap("web-config", map[string]string{"v": "1"})), 0)
	wantExit(t, e.shipsafe(t, ctx, "-n", ns, "deploy", "other", "-f", writeManifest(t, configMap("other-config", nil))), 0)

	e.plantRecord(t, ctx, ns, "bomb", 1, "deployed", map[string][]byte{"release": gzipped(t, make([]byte, 1<<20), 512)})
	var parts []string
	for i := range 10000 {
		parts = append(parts, fmt.Sprintf("shipsafe.parts.v1.p%d-000000000000", i+1))
	}
	e.plantRecord(t, ctx, ns, "parts", 1, "deployed", map[string][]byte{"parts": []byte(strings.Join(parts, "\n")), "sha256": []byte("0")})
	e.plantRecord(t, ctx, ns, "web", 2, "pending", map[string][]byte{"release": []byte("not gzip at all")})

	// list -A lists every other release.
	cmd := exec.CommandContext(ctx, e.binary, "--kubeconfig", e.kubeconfig, "list", "-A", "-o", "json")
	cmd.Env = append(os.Environ(), "CI=true")
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	t.Logf("list -A: %v\nstdout: %.2000s\nstderr:\n%s", err, out.String(), errb.String())
	if err != nil {
		t.Fatalf("list -A failed: %v", err)
	}
	var listed []struct{ Release, Namespace string }
	must(t, json.Unmarshal([]byte(out.String()), &listed))
	got := map[string]bool{}
	for _, r := range listed {
		if r.Namespace == ns {
			got[r.Release] = true
		}
	}
	if !got["other"] {
		t.Errorf("list -A lists %v in %s, want release other", got, ns)
	}
	wantContains(t, "list -A warnings", errb.String(),
		"kubectl -n "+ns+" delete secret shipsafe.bomb.v1", "decompresses to more than",
		"kubectl -n "+ns+" delete secret shipsafe.parts.v1", "10000 parts")
	e.wantBoundedList(t, ctx, ns, 256)

	r := e.deployWeb(t, ctx, ns, configMap("web-config", map[string]string{"v": "2"}))
	wantExit(t, r, 0)
	wantContains(t, "deploy output", r.stdout, "damaged release record", "kubectl -n "+ns+" delete secret shipsafe.web.v2")
	wantConfig(t, ctx, e, ns, "web-config", map[string]string{"v": "2"})

	r = e.shipsafe(t, ctx, "-n", ns, "history", "web", "-o", "json")
	wantExit(t, r, 0)
	wantContains(t, "history warnings", r.stderr, "shipsafe.web.v2")
	if got := statuses(e.history(t, ctx, ns, "web")); got != "1:superseded 3:deployed" {
		t.Errorf("history of web: %s, want 1:superseded 3:deployed", got)
	}
	wantExit(t, e.shipsafe(t, ctx, "-n", ns, "status", "web"), 0)
}

// TestForgedPendingRecordDeletesNothingOutside plants a pending record for release web
// whose created-list names a ConfigMap in another namespace, as someone who may write
// Secrets in web's namespace could. The next deploy recovers the "interrupted" revision
// and must delete nothing outside the release: it reports the object out of scope.
func TestForgedPendingRecordDeletesNothingOutside(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ns := clustertest.Namespace(t, e.client)
	victimNS := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	_, err := e.client.CoreV1().ConfigMaps(victimNS).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "victim"}}, metav1.CreateOptions{})
	must(t, err)
	wantExit(t, e.deployWeb(t, ctx, ns, configMap("web-config", nil)), 0)

	forged, err := json.Marshal(map[string]any{
		"release": "web", "number": 2, "status": "pending", "holder": "forger",
		"startedAt": time.Now().UTC().Format(time.RFC3339),
		"created":   []map[string]string{{"apiVersion": "v1", "kind": "ConfigMap", "namespace": victimNS, "name": "victim"}},
	})
	must(t, err)
	e.plantRecord(t, ctx, ns, "web", 2, "pending", map[string][]byte{"release": gzipped(t, forged, 1)})

	r := e.deployWeb(t, ctx, ns, configMap("web-config", map[string]string{"v": "2"}))
	wantExit(t, r, 0)
	wantContains(t, "deploy output", r.stdout, "ConfigMap "+victimNS+"/victim", "out of the release's scope")
	if _, err := e.client.CoreV1().ConfigMaps(victimNS).Get(ctx, "victim", metav1.GetOptions{}); err != nil {
		t.Fatalf("ConfigMap %s/victim after the deploy: %v", victimNS, err)
	}
}
