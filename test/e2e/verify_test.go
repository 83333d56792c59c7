package e2e

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// TestVerifyHTTPCheck gates a release on GET /healthz through the API server's service
// proxy. A good version passes its window; one whose /healthz answers 503 is judged
// failed with the status printed and rolled back (the rollback passes revision 1's own
// checks); with --rollback never it exits 3; `shipsafe verify` then fails (exit 1)
// against what runs, and `shipsafe rollback` restores and verifies revision 1.
func TestVerifyHTTPCheck(t *testing.T) {
	t.Parallel()
	e := setup(t)
	img := e.image(t, "metrics", "e2e")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	spec := verification("0s", "3s", "1s", healthzCheck)

	r := e.deployWeb(t, ctx, ns, metricsApp{Image: img, Version: "v1", Replicas: 2}.yaml(), spec)
	wantExit(t, r, 0)
	wantContains(t, "good deploy", r.stdout, "verifying revision 1", "verified check healthz (http): 4 of 4 samples passed")
	rev1 := revisionOf(t, e.history(t, ctx, ns, "web"), 1)
	if objs := strings.Join(rev1.Objects, " "); strings.Contains(objs, "Verification") {
		t.Errorf("revision 1's objects %s include the Verification; it must only be read", objs)
	}
	// The pass is evidence too: recorded in the revision, shown by history and status.
	if v := rev1.Verified; v == nil || !v.Passed || !strings.Contains(strings.Join(v.Checks, "\n"), "check healthz (http): 4 of 4 samples passed") {
		t.Errorf("revision 1's recorded verification = %+v, want passed with check healthz's 4 of 4 samples", v)
	}
	r = e.shipsafe(t, ctx, "-n", ns, "status", "web")
	wantExit(t, r, 0)
	wantContains(t, "status", r.stdout, "verified:  passed", "check healthz (http): 4 of 4 samples passed")
	r = e.shipsafe(t, ctx, "-n", ns, "verify", "web")
	wantExit(t, r, 0)
	wantContains(t, "verify", r.stdout, "verification passed")

	r = e.deployWeb(t, ctx, ns, metricsApp{Image: img, Version: "v2", Replicas: 2, HealthzStatus: 503}.yaml(), spec)
	wantExit(t, r, 1)
	wantContains(t, "broken deploy", r.stdout,
		"verify: ", "healthz: fail value status 503 (want status 200", "status 503, want 200",
		"FAILED: verification failed: check healthz (http) failed",
		"rolling back to revision 1", "revision 1 verified")
	e.serves(t, ctx, ns, "web", "v1")
	failed := revisionOf(t, e.history(t, ctx, ns, "web"), 2)
	if failed.Status != "rolled-back" || failed.RolledBackTo != 1 {
		t.Errorf("revision 2: %s to %d, want rolled-back to 1", failed.Status, failed.RolledBackTo)
	}
	wantContains(t, "revision 2 reason", failed.Reason, "check healthz (http) failed", "status 503")
	wantContains(t, "revision 2 evidence", strings.Join(failed.Evidence, "\n"), "check healthz (http) FAILED", "sample ")

	r = e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "--rollback", "never", "-f", writeManifest(t,
		metricsApp{Image: img, Version: "v3", Replicas: 2, HealthzStatus: 500}.yaml(), spec))
	wantExit(t, r, 3)
	wantContains(t, "--rollback never", r.stderr, "left as it is (--rollback=never)", "status 500")

	// The deployed revision is still 1; its checks fail against the v3 pods that run.
	r = e.shipsafe(t, ctx, "-n", ns, "verify", "web")
	wantExit(t, r, 1)
	wantContains(t, "verify after a failed deploy", r.stdout, "FAILED: check healthz (http) failed", "status 500")

	r = e.shipsafe(t, ctx, "-n", ns, "rollback", "web", "1")
	wantExit(t, r, 0)
	wantContains(t, "manual rollback", r.stdout, "verifying revision 4", "revision 4 verified")
	e.serves(t, ctx, ns, "web", "v1")
	e.wantConsistent(t, ctx, ns, "web")
}

// TestVerifyJobCheck gates a release on a smoke-test Job: one that completes passes; one
// that fails fails the deploy with its log line as evidence, and the release is rolled
// back. No Job is left behind.
func TestVerifyJobCheck(t *testing.T) {
	t.Parallel()
	e := setup(t)
	img := e.image(t, "metrics", "e2e")
	ok := e.image(t, "jobok", "e2e")
	crash := e.image(t, "crash", "e2e")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	r := e.deployWeb(t, ctx, ns, metricsApp{Image: img, Version: "v1"}.yaml(), verification("0s", "0s", "1s", jobCheck(ok, "v1")))
	wantExit(t, r, 0)
	wantContains(t, "good job", r.stdout, "verified check smoke (job): 1 of 1 samples passed")

	r = e.deployWeb(t, ctx, ns, metricsApp{Image: img, Version: "v2"}.yaml(), verification("0s", "0s", "1s", jobCheck(crash, "v2")))
	wantExit(t, r, 1)
	wantContains(t, "failing job", r.stdout,
		"check smoke (job) failed", "BackoffLimitExceeded",
		"fatal: cannot start version v2: required setting DATABASE_URL is empty",
		"rolling back to revision 1", "revision 1 verified")
	e.serves(t, ctx, ns, "web", "v1")
	if _, err := e.client.BatchV1().Jobs(ns).Get(ctx, "web-verify-smoke", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the verification Job is left behind: %v", err)
	}
}

// TestVerifySIGKILL kills a deploy during its verification window: the revision is
// still pending, and the next deploy recovers it alone (back to revision 1, checks and
// all) before deploying.
func TestVerifySIGKILL(t *testing.T) {
	t.Parallel()
	e := setup(t)
	img := e.image(t, "metrics", "e2e")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	short := verification("0s", "2s", "1s", healthzCheck)

	wantExit(t, e.deployWeb(t, ctx, ns, metricsApp{Image: img, Version: "v1"}.yaml(), short), 0)
	p := e.start(t, "-n", ns, "deploy", "web", "-f", writeManifest(t,
		metricsApp{Image: img, Version: "v2"}.yaml(), verification("0s", "2m", "1s", healthzCheck)))
	p.waitLine("verifying revision 2", 2*time.Minute)
	p.signal(syscall.SIGKILL)
	p.wait(30 * time.Second)
	st := e.status(t, ctx, ns, "web")
	if st.Latest == nil || st.Latest.Revision != 2 || st.Latest.Status != "pending" {
		t.Fatalf("after SIGKILL in the window: latest = %+v, want revision 2 pending", st.Latest)
	}

	r := e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "--lock-wait", "40s", "-f", writeManifest(t,
		metricsApp{Image: img, Version: "v3"}.yaml(), short))
	wantExit(t, r, 0)
	wantContains(t, "recovering deploy", r.stdout,
		"revision 2 was left pending", "rolling back to revision 1", "revision 1 verified",
		"recovered interrupted revision 2", "revision 3 verified")
	if got := statuses(e.history(t, ctx, ns, "web")); got != "1:superseded 2:rolled-back 3:deployed" {
		t.Errorf("history: %s, want 1:superseded 2:rolled-back 3:deployed", got)
	}
	e.serves(t, ctx, ns, "web", "v3")
}

// TestVerifyBadSpec refuses a Verification with mistakes before anything changes.
func TestVerifyBadSpec(t *testing.T) {
	t.Parallel()
	e := setup(t)
	img := e.image(t, "metrics", "e2e")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	r := e.deployWeb(t, ctx, ns, metricsApp{Image: img, Version: "v1"}.yaml(),
		verification("0s", "forever", "1s", "  - name: q\n    prometheus: {query: up, condition: \"< 1\"}"))
	wantExit(t, r, 2)
	wantContains(t, "bad spec", r.stderr, `Verification "web"`, `spec.for: "forever"`)
	r = e.deployWeb(t, ctx, ns, metricsApp{Image: img, Version: "v1"}.yaml(),
		verification("0s", "5s", "1s", "  - name: q\n    prometheus: {query: up, condition: \"< 1\"}"))
	wantExit(t, r, 2)
	wantContains(t, "no prometheus", r.stderr, "pass --prometheus-url")
	if len(e.records(t, ctx, ns)) != 0 {
		t.Error("a refused deploy wrote a record")
	}
}

// TestVerifyChartTests runs a chart's test hook (a Pod) as a job check when asked: a
// passing test lets the deploy succeed; a failing one rolls it back. Without the flag
// the test hook is only recorded, as Helm does.
func TestVerifyChartTests(t *testing.T) {
	t.Parallel()
	e := setup(t)
	img := e.image(t, "metrics", "e2e")
	ok := e.image(t, "jobok", "e2e")
	crash := e.image(t, "crash", "e2e")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	chart := t.TempDir()
	for name, body := range map[string]string{
		"Chart.yaml":          "apiVersion: v2\nname: web\nversion: 0.1.0\n",
		"values.yaml":         "version: v1\ntestImage: none\n",
		"templates/app.yaml":  strings.ReplaceAll(metricsApp{Image: img, Version: "VERSION"}.yaml(), `"VERSION"`, `"{{ .Values.version }}"`),
		"templates/test.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}-test\n  annotations: {helm.sh/hook: test}\nspec:\n  containers:\n  - name: test\n    image: {{ .Values.testImage }}\n    imagePullPolicy: Never\n    env: [{name: VERSION, value: \"{{ .Values.version }}\"}]\n",
	} {
		writeFile(t, chart, name, body)
	}
	deploy := func(version, testImage string, extra ...string) result {
		return e.shipsafe(t, ctx, append([]string{"-n", ns, "deploy", "web", "--chart", chart,
			"--set", "version=" + version, "--set", "testImage=" + testImage}, extra...)...)
	}

	r := deploy("v1", ok)
	wantExit(t, r, 0)
	if strings.Contains(r.stdout, "verifying") {
		t.Errorf("without --verify-chart-tests the test hook ran:\n%s", r.stdout)
	}

	r = deploy("v1", ok, "--verify-chart-tests")
	wantExit(t, r, 0)
	wantContains(t, "passing chart test", r.stdout, "verified check test-web-test (job): 1 of 1 samples passed")

	r = deploy("v2", crash, "--verify-chart-tests")
	wantExit(t, r, 1)
	wantContains(t, "failing chart test", r.stdout, "check test-web-test (job) failed",
		"fatal: cannot start version v2", "rolling back to revision 2", "revision 2 verified")
	e.serves(t, ctx, ns, "web", "v1")
}
