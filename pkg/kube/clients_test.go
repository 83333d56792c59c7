package kube

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"k8s.io/client-go/rest"
)

func TestNewRaisesRateLimitsAndCountsRequests(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"major":"1","minor":"34","gitVersion":"v1.34.2"}`))
	}))
	defer srv.Close()

	c, err := New(&rest.Config{Host: srv.URL}, "")
	if err != nil {
		t.Fatal(err)
	}
	if c.Config.QPS != DefaultQPS || c.Config.Burst != DefaultBurst {
		t.Errorf("QPS/Burst = %v/%v, want %v/%v", c.Config.QPS, c.Config.Burst, DefaultQPS, DefaultBurst)
	}
	if c.Namespace != "default" {
		t.Errorf("namespace = %q, want default", c.Namespace)
	}
	for i := 0; i < 3; i++ {
		if _, err := c.Typed.Discovery().ServerVersion(); err != nil {
			t.Fatal(err)
		}
	}
	if got := c.Requests(); got != 3 {
		t.Errorf("Requests() = %d after 3 calls, want 3", got)
	}
}

func TestNewKeepsExplicitRateLimits(t *testing.T) {
	t.Parallel()
	c, err := New(&rest.Config{Host: "https://127.0.0.1:1", QPS: 7, Burst: 9}, "prod")
	if err != nil {
		t.Fatal(err)
	}
	if c.Config.QPS != 7 || c.Config.Burst != 9 || c.Namespace != "prod" {
		t.Errorf("got QPS %v burst %v namespace %q, want 7, 9, prod", c.Config.QPS, c.Config.Burst, c.Namespace)
	}
}
