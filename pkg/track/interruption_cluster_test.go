package track_test

import (
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"

	"github.com/shipsafe/shipsafe/internal/clustertest"
	"github.com/shipsafe/shipsafe/pkg/health"
)

// cutWatches is a RoundTripper that ends every watch response after `after`, as an API
// server does when its watch timeout expires or it restarts, and counts watch requests.
type cutWatches struct {
	next    http.RoundTripper
	after   time.Duration
	watches *atomic.Int64 // shared by the wrappers of every client of one config
}

func (c *cutWatches) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	if err != nil || req.URL.Query().Get("watch") != "true" {
		return resp, err
	}
	c.watches.Add(1)
	resp.Body = newCutBody(resp.Body, c.after)
	return resp, nil
}

// cutBody closes the real body after a while and then reports a clean end of stream.
type cutBody struct {
	body io.ReadCloser
	cut  atomic.Bool
	once sync.Once
}

func newCutBody(body io.ReadCloser, after time.Duration) *cutBody {
	b := &cutBody{body: body}
	time.AfterFunc(after, func() {
		b.cut.Store(true)
		_ = b.Close()
	})
	return b
}

func (b *cutBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	if b.cut.Load() {
		return n, io.EOF
	}
	return n, err
}

func (b *cutBody) Close() error {
	var err error
	b.once.Do(func() { err = b.body.Close() })
	return err
}

// TestClosedWatchesAreResumed tracks a rollout while every watch is cut after a second:
// the tracker must resume them and still see the Deployment become ready, with no failure.
func TestClosedWatchesAreResumed(t *testing.T) {
	t.Parallel()
	skipShort(t)
	cfg := rest.CopyConfig(clustertest.Config(t))
	var watches atomic.Int64
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		return &cutWatches{next: rt, after: time.Second, watches: &watches}
	}
	e := newEnvFrom(t, cfg)
	c := container(clustertest.Image(t, "slowstart", "v1"))
	c.Env = append(c.Env, corev1.EnvVar{Name: "READY_AFTER", Value: "5"})
	c.ReadinessProbe.FailureThreshold = 10
	web := e.create(t, deployment("web", 1, c))
	svc := e.create(t, service("web", false))

	res, err, _ := e.run(t, health.Options{}, web, svc)
	if err != nil || res.Failed {
		t.Fatalf("Run: err %v, failed %v (%s: %s)", err, res.Failed, res.Reason, res.Message)
	}
	// Five watches (the two objects, pods, ReplicaSets, EndpointSlices, Events: six) start
	// once; cut every second for over five seconds they must have been resumed many times.
	if n := watches.Load(); n < 12 {
		t.Errorf("%d watch requests, want the cut watches resumed (at least 12)", n)
	}
	t.Logf("%d watch requests in %s", watches.Load(), res.Duration)
}
