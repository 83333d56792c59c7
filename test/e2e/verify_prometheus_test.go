package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shipsafe/shipsafe/internal/clustertest"
	"github.com/shipsafe/shipsafe/internal/promtest"
)

// Each test runs its own Prometheus (2 s scrapes of its namespace's pods) and its pods
// send themselves 20 requests a second, so the error ratio is exact: the app fails an
// evenly spread share of its requests.

// TestVerifyPrometheusErrorRate gates on the share of 500 answers: a good version passes
// its window; one with 20 % errors is judged failed with the value printed and rolled
// back, and the previous revision passes its own query again.
func TestVerifyPrometheusErrorRate(t *testing.T) {
	t.Parallel()
	e := setup(t)
	img := e.image(t, "metrics", "e2e")
	ns := clustertest.Namespace(t, e.client)
	prom := promtest.Start(t, e.client, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// The initial delay covers Prometheus finding the new pods (a pod list each second,
	// file_sd read each second) and scraping each twice (2 s apart), so that rate() has
	// the new version's samples; with no delay the first sample, 6 s after ready (the
	// query's range), found no series on a loaded machine. By then the replaced version's
	// samples have left the 6 s range too, so the rollback's target is not judged on the
	// failed version's rate.
	spec := verification("10s", "6s", "2s", errorRateCheck(ns, "< 0.05", "fail", ""))
	// A first version without checks: on a first install Prometheus has no data yet
	// (that is inconclusive, and fails), and the test is about what follows.
	wantExit(t, e.deployWeb(t, ctx, ns, metricsApp{Image: img, Version: "v0", Replicas: 2, SelfLoad: 20}.yaml()), 0)
	waitForRequestRate(t, ctx, prom.URL, ns)

	r := e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "--prometheus-url", prom.URL, "-f", writeManifest(t,
		metricsApp{Image: img, Version: "v1", Replicas: 2, SelfLoad: 20}.yaml(), spec))
	wantExit(t, r, 0)
	wantContains(t, "good version", r.stdout, "verified check error-rate (prometheus): 4 of 4 samples passed, last value 0 (want < 0.05)")

	r = e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "--prometheus-url", prom.URL, "-f", writeManifest(t,
		metricsApp{Image: img, Version: "v2", Replicas: 2, SelfLoad: 20, ErrorRate: "0.2"}.yaml(), spec))
	wantExit(t, r, 1)
	wantContains(t, "20% errors", r.stdout,
		"error-rate: fail value ", "FAILED: verification failed: check error-rate (prometheus) failed: value ",
		`query: sum(rate(http_requests_total{namespace="`+ns,
		"rolling back to revision 2", "revision 2 verified")
	wantValue(t, r.stdout, `check error-rate \(prometheus\) failed: value ([0-9.e-]+), want < 0.05`, 0.17, 0.23)
	failed := revisionOf(t, e.history(t, ctx, ns, "web"), 3)
	if failed.Status != "rolled-back" {
		t.Errorf("revision 3 is %s, want rolled-back", failed.Status)
	}
	wantContains(t, "revision 3 evidence", strings.Join(failed.Evidence, "\n"), "error-rate: fail value 0.", "window 6s every 2s")
	e.serves(t, ctx, ns, "web", "v1")
}

// TestVerifyPrometheusBaseline gates on an error ratio relative to the previous
// version's: at most max(1.5 x baseline, 1 %). A version at the baseline's 10 % passes;
// one at 3x it (30 %) fails and is rolled back.
func TestVerifyPrometheusBaseline(t *testing.T) {
	t.Parallel()
	e := setup(t)
	img := e.image(t, "metrics", "e2e")
	ns := clustertest.Namespace(t, e.client)
	prom := promtest.Start(t, e.client, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	spec := verification("10s", "6s", "2s", errorRateCheck(ns, "<= 0.01", "fail", "1.5")) // the delay: see TestVerifyPrometheusErrorRate
	deploy := func(version, rate string) result {
		return e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "--prometheus-url", prom.URL, "-f", writeManifest(t,
			metricsApp{Image: img, Version: version, Replicas: 2, SelfLoad: 20, ErrorRate: rate}.yaml(), spec))
	}

	// A first install has no baseline: the absolute bound (1 %) applies, and 10 % fails.
	r := deploy("v1", "0.1")
	wantExit(t, r, 1)
	wantContains(t, "install without baseline", r.stdout, "no data in the window before the deploy", "want <= 0.01")
	wantExit(t, e.deployWeb(t, ctx, ns, metricsApp{Image: img, Version: "v1", Replicas: 2, SelfLoad: 20, ErrorRate: "0.1"}.yaml()), 0)
	time.Sleep(12 * time.Second) // the baseline window (6 s) holds v1's rate only

	r = deploy("v2", "0.1")
	wantExit(t, r, 0)
	wantContains(t, "baseline's rate", r.stdout, "verified check error-rate (prometheus)", "baseline 0.", "(mean of")
	base := wantValue(t, r.stdout, `baseline ([0-9.e-]+) \(mean of`, 0.08, 0.12)
	wantValue(t, r.stdout, `want <= ([0-9.e-]+)\)`, 1.5*base-0.0001, 1.5*base+0.0001)
	waitForRequestRate(t, ctx, prom.URL, ns)

	r = deploy("v3", "0.3")
	wantExit(t, r, 1)
	wantContains(t, "3x the baseline", r.stdout, "FAILED: verification failed: check error-rate (prometheus) failed: value ",
		"rolling back to revision 3", "revision 3 verified")
	wantValue(t, r.stdout, `failed: value ([0-9.e-]+), want <= 0.1`, 0.26, 0.34)
	e.serves(t, ctx, ns, "web", "v2")
}

// TestVerifyPrometheusStopped stops Prometheus in the middle of a window: the new
// version's check (inconclusive: fail, the default) fails the deploy and says why; the
// rollback target's check (inconclusive: pass) passes and says that it passed only by
// its policy. Nothing passes silently.
func TestVerifyPrometheusStopped(t *testing.T) {
	t.Parallel()
	e := setup(t)
	img := e.image(t, "metrics", "e2e")
	ns := clustertest.Namespace(t, e.client)
	prom := promtest.Start(t, e.client, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	r := e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "--prometheus-url", prom.URL, "-f", writeManifest(t,
		metricsApp{Image: img, Version: "v1", SelfLoad: 20}.yaml(),
		verification("6s", "4s", "2s", errorRateCheck(ns, "< 0.05", "pass", ""))))
	wantExit(t, r, 0)

	p := e.start(t, "-n", ns, "deploy", "web", "--prometheus-url", prom.URL, "-f", writeManifest(t,
		metricsApp{Image: img, Version: "v2", SelfLoad: 20}.yaml(),
		verification("6s", "1m", "2s", errorRateCheck(ns, "< 0.05", "fail", ""))))
	p.waitLine("verifying revision 2", 2*time.Minute)
	time.Sleep(9 * time.Second) // past the initial delay: the window has begun
	prom.Stop()
	r = p.wait(2 * time.Minute)
	wantExit(t, r, 1)
	wantContains(t, "Prometheus stopped", r.stdout,
		"error-rate: inconclusive", "connection refused",
		"counted as a failure by its policy (inconclusive: fail)",
		"rolling back to revision 1",
		"counted as passed by its policy (inconclusive: pass)", "revision 1 verified")
	e.serves(t, ctx, ns, "web", "v1")
}

// wantValue finds the number pattern's group captures in s and fails unless it lies in
// [lo, hi]; it returns the number. Rates are measured, so tests compare within bounds.
func wantValue(t *testing.T, s, pattern string, lo, hi float64) float64 {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("output has no %q:\n%s", pattern, s)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil || v < lo || v > hi {
		t.Fatalf("%q: value %s, want from %v to %v", pattern, m[1], lo, hi)
	}
	return v
}

// waitForRequestRate waits until Prometheus has a request rate over 6 s for the
// namespace's pods, so that a check that follows has data; a loaded machine may need
// several scrapes before the first rate exists.
func waitForRequestRate(t *testing.T, ctx context.Context, promURL, ns string) {
	t.Helper()
	q := url.Values{"query": {`sum(rate(http_requests_total{namespace="` + ns + `"}[6s]))`}}
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, promURL+"/api/v1/query?"+q.Encode(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			var body struct {
				Data struct {
					Result []json.RawMessage `json:"result"`
				} `json:"data"`
			}
			err = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if err == nil && len(body.Data.Result) > 0 {
				time.Sleep(6 * time.Second) // one whole range of the new version's samples
				return
			}
		}
		time.Sleep(time.Second)
	}
	t.Fatalf("Prometheus at %s has no request rate for namespace %s after 2 minutes", promURL, ns)
}
