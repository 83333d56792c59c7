package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/shipsafe/shipsafe/internal/clustertest"
	"github.com/shipsafe/shipsafe/internal/promtest"
)

// TestVerifyBenchmark measures, with a 30 s window sampled every 2 s and Prometheus
// scraping every 2 s: the seconds from the first scraped sample of a bad version's
// errors to shipsafe's failed verdict, and the total time of a good deploy. It runs only
// with SHIPSAFE_BENCH_VERIFY=1 (docs/benchmarks.md holds its results); with
// SHIPSAFE_BENCH_VERIFY_DURING_ROLLOUT=1 its check is also sampled during the rollout
// (duringRollout: true).
func TestVerifyBenchmark(t *testing.T) {
	if os.Getenv("SHIPSAFE_BENCH_VERIFY") != "1" {
		t.Skip("a benchmark: set SHIPSAFE_BENCH_VERIFY=1 to run it")
	}
	e := setup(t)
	img := e.image(t, "metrics", "e2e")
	ns := clustertest.Namespace(t, e.client)
	prom := promtest.Start(t, e.client, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	check, mode := errorRateCheck(ns, "< 0.05", "fail", ""), "after ready"
	if os.Getenv("SHIPSAFE_BENCH_VERIFY_DURING_ROLLOUT") == "1" {
		check, mode = duringRollout(check), "during the rollout too"
	}
	spec := verification("0s", "30s", "2s", check)
	deploy := func(version, rate string) (result, time.Duration) {
		start := time.Now()
		r := e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-o", "json", "--prometheus-url", prom.URL, "-f", writeManifest(t,
			metricsApp{Image: img, Version: version, Replicas: 2, SelfLoad: 20, ErrorRate: rate}.yaml(), spec))
		return r, time.Since(start)
	}

	// A first version without checks, so that Prometheus has data before the window.
	wantExit(t, e.deployWeb(t, ctx, ns, metricsApp{Image: img, Version: "v0", Replicas: 2, SelfLoad: 20}.yaml()), 0)
	time.Sleep(10 * time.Second)
	const runs = 3
	for i := 1; i <= runs; i++ {
		r, took := deploy(fmt.Sprintf("good%d", i), "0")
		wantExit(t, r, 0)
		t.Logf("RESULT (checks %s) good deploy %d with a 30 s window: %.1f s in all", mode, i, took.Seconds())

		bad := time.Now()
		r, took = deploy(fmt.Sprintf("bad%d", i), "0.2")
		wantExit(t, r, 1)
		tl := timelineOf(t, r.stdout)
		verdict := tl.failed.Time
		first := firstBadSample(t, ctx, prom.URL, ns, bad)
		t.Logf("RESULT (checks %s) bad deploy %d: first bad sample scraped at %s, verdict at %s: %.1f s; tracking ended at %s (%s): verdict %+.1f s after it; whole deploy with the rollback and the target's 30 s window: %.1f s",
			mode, i, first.Format("15:04:05.000"), verdict.Format("15:04:05.000"), verdict.Sub(first).Seconds(),
			tl.done.Time.Format("15:04:05.000"), tl.done.Message, verdict.Sub(tl.done.Time).Seconds(), took.Seconds())
	}
}

// firstBadSample asks Prometheus for the raw samples of the 500 counters of ns and
// returns the time of the first one above 0 taken after since.
func firstBadSample(t *testing.T, ctx context.Context, prom, ns string, since time.Time) time.Time {
	t.Helper()
	q := fmt.Sprintf(`http_requests_total{namespace=%q,code="500"}[5m]`, ns)
	resp, err := http.Get(prom + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		t.Fatalf("query Prometheus: %v", err)
	}
	defer resp.Body.Close()
	var body struct {
		Data struct {
			Result []struct {
				Values [][2]any `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("decode Prometheus answer: %v", err)
	}
	first := math.Inf(1)
	for _, s := range body.Data.Result {
		for _, v := range s.Values {
			ts, _ := v[0].(float64)
			val, _ := v[1].(string)
			if val != "0" && ts >= float64(since.UnixNano())/1e9 && ts < first {
				first = ts
			}
		}
	}
	if math.IsInf(first, 1) {
		t.Fatal("Prometheus holds no bad sample")
	}
	sec, frac := math.Modf(first)
	return time.Unix(int64(sec), int64(frac*1e9))
}
