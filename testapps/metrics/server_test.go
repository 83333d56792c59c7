package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestFailsShare(t *testing.T) {
	t.Parallel()
	for _, rate := range []float64{0, 0.1, 0.2, 0.3, 1} {
		n := 0
		for i := 0; i < 100; i++ {
			if fails(i, rate) {
				n++
			}
		}
		if want := int(rate * 100); n != want {
			t.Errorf("rate %v: %d of 100 failed, want %d", rate, n, want)
		}
	}
}

func TestServerCountsByCode(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	s := newServer(config{version: "v2", errorRate: 0.2, healthzStatus: 503}, reg)
	h := s.instrument(http.HandlerFunc(s.home))
	for i := 0; i < 10; i++ {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	}
	if got := testutil.ToFloat64(s.requests.WithLabelValues("500")); got != 2 {
		t.Errorf("500s = %v, want 2", got)
	}
	if got := testutil.ToFloat64(s.requests.WithLabelValues("200")); got != 8 {
		t.Errorf("200s = %v, want 8", got)
	}
	rec := httptest.NewRecorder()
	s.healthz(rec, httptest.NewRequest("GET", "/healthz", nil))
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != 503 || !strings.Contains(string(body), `"status":"down"`) {
		t.Errorf("healthz = %d %s, want 503 down", rec.Code, body)
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Parallel()
	env := map[string]string{"ERROR_RATE": "1.5"}
	if _, err := configFromEnv(func(k string) string { return env[k] }); err == nil {
		t.Error("ERROR_RATE=1.5 accepted")
	}
	env = map[string]string{"VERSION": "v1", "ERROR_RATE": "0.2", "LATENCY": "5ms", "SELF_LOAD": "20"}
	c, err := configFromEnv(func(k string) string { return env[k] })
	if err != nil || c.errorRate != 0.2 || c.selfLoad != 20 || c.healthzStatus != 200 {
		t.Errorf("config = %+v, %v", c, err)
	}
}
