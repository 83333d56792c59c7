package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// TestVerifyDuringRollout gates a slow rollout (2 replicas, one new pod at a time, each
// counted available only 10 s after it is ready, while it already serves) on GET
// /healthz. A check marked duringRollout is sampled while the objects are tracked: a
// version whose /healthz answers 503 fails the deploy, and is rolled back, before the
// Deployment is ready. The same check without duringRollout starts only once every
// object is ready.
func TestVerifyDuringRollout(t *testing.T) {
	t.Parallel()
	e := setup(t)
	img := e.image(t, "metrics", "e2e")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	app := func(version string, healthz int) string {
		return metricsApp{Image: img, Version: version, Replicas: 2, MinReadySeconds: 10, HealthzStatus: healthz}.yaml()
	}
	during := verification("0s", "2s", "1s", duringRollout(healthzCheck))
	deployJSON := func(docs ...string) result {
		return e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-o", "json", "-f", writeManifest(t, docs...))
	}

	r := e.deployWeb(t, ctx, ns, app("v1", 0), during)
	wantExit(t, r, 0)
	wantContains(t, "good deploy", r.stdout, "verifying revision 1 during the rollout", "during the rollout)", "revision 1 verified")

	r = deployJSON(app("v2", 503), during)
	wantExit(t, r, 1)
	tl := timelineOf(t, r.stdout)
	wantContains(t, "the failed sample", tl.failed.Message, "healthz: fail value status 503", "during the rollout")
	if tl.tracked < tl.failedAt || strings.HasPrefix(tl.done.Message, "all ") || !tl.failed.Time.Before(tl.done.Time) {
		t.Errorf("with duringRollout the failed sample (line %d at %s) came after tracking ended (line %d at %s: %s); want it to stop the rollout",
			tl.failedAt, tl.failed.Time.Format(time.StampMilli), tl.tracked, tl.done.Time.Format(time.StampMilli), tl.done.Message)
	}
	e.serves(t, ctx, ns, "web", "v1")
	failed := revisionOf(t, e.history(t, ctx, ns, "web"), 2)
	if failed.Status != "rolled-back" || failed.RolledBackTo != 1 {
		t.Errorf("revision 2: %s to %d, want rolled-back to 1", failed.Status, failed.RolledBackTo)
	}
	wantContains(t, "revision 2 reason", failed.Reason, "during the rollout", "check healthz (http) failed", "status 503")
	wantContains(t, "revision 2 evidence", strings.Join(failed.Evidence, "\n"), "check healthz (http) FAILED", "during the rollout")

	r = deployJSON(app("v3", 503), verification("0s", "2s", "1s", healthzCheck))
	wantExit(t, r, 1)
	tl = timelineOf(t, r.stdout)
	if tl.tracked < 0 || tl.failedAt < tl.tracked || !strings.HasPrefix(tl.done.Message, "all ") || strings.Contains(tl.failed.Message, "during the rollout") {
		t.Errorf("without duringRollout the failed sample (line %d: %s) must come after every object is ready (line %d: %s)",
			tl.failedAt, tl.failed.Message, tl.tracked, tl.done.Message)
	}
	e.serves(t, ctx, ns, "web", "v1")
	e.wantConsistent(t, ctx, ns, "web")
}

// timeline is what a deploy's -o json lines say of its first verification failure and
// its first end of tracking.
type timeline struct {
	// failed is the first failed verification sample (a warning "verify: ... fail"),
	// on line failedAt (-1: none).
	failed   jsonEvent
	failedAt int
	// done is the first "tracked" line (tracking ended: all ready, failed or stopped),
	// on line tracked (-1: none).
	done    jsonEvent
	tracked int
}

func timelineOf(t *testing.T, stdout string) timeline {
	t.Helper()
	tl := timeline{failedAt: -1, tracked: -1}
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 0; sc.Scan(); n++ {
		var ev jsonEvent
		if json.Unmarshal(sc.Bytes(), &ev) != nil {
			continue
		}
		switch {
		case tl.failedAt < 0 && ev.Type == "warning" && strings.HasPrefix(ev.Message, "verify: ") && strings.Contains(ev.Message, ": fail "):
			tl.failed, tl.failedAt = ev, n
		case tl.tracked < 0 && ev.Type == "tracked":
			tl.done, tl.tracked = ev, n
		}
	}
	if tl.failedAt < 0 {
		t.Fatalf("no failed verification sample in:\n%s", stdout)
	}
	return tl
}
