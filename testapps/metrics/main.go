// Command metrics is a web server with a configurable error rate and latency that
// exposes request metrics for Prometheus, so tests can judge a version by its metrics.
//
// Environment: VERSION (answered by GET /), ERROR_RATE (0 to 1: that share of GET /
// requests answer 500, spread evenly, e.g. 0.2 fails every fifth), LATENCY (a duration
// added to each GET /), HEALTHZ_STATUS (the status of GET /healthz, default 200; its body
// is {"status":"up"} for a 2xx status, else {"status":"down"}) and SELF_LOAD (requests
// per second the server sends to its own GET /, standing in for users' traffic;
// default 0). GET /metrics serves http_requests_total{code} and
// http_request_duration_seconds. It exits at once on SIGTERM.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func main() {
	cfg, err := configFromEnv(os.Getenv)
	if err != nil {
		log.Fatalf("metrics: %v", err)
	}
	reg := prometheus.NewRegistry()
	srv := newServer(cfg, reg)
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", srv.instrument(http.HandlerFunc(srv.home)))
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /healthz", srv.healthz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	if cfg.selfLoad > 0 {
		go selfLoad(cfg.selfLoad)
	}
	log.Printf("metrics %s listening on :8080 (error rate %v, latency %s, self load %d/s)", cfg.version, cfg.errorRate, cfg.latency, cfg.selfLoad)
	log.Fatal(http.ListenAndServe(":8080", mux))
}

// selfLoad sends rps requests per second to the server's own GET / for as long as the
// process lives.
func selfLoad(rps int) {
	client := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(time.Second / time.Duration(rps))
	defer tick.Stop()
	for range tick.C {
		go func() {
			resp, err := client.Get("http://127.0.0.1:8080/")
			if err == nil {
				resp.Body.Close()
			}
		}()
	}
}

// config is the app's environment.
type config struct {
	version       string
	errorRate     float64
	latency       time.Duration
	healthzStatus int
	selfLoad      int
}

func configFromEnv(getenv func(string) string) (config, error) {
	c := config{version: getenv("VERSION"), healthzStatus: http.StatusOK}
	var err error
	if v := getenv("ERROR_RATE"); v != "" {
		if c.errorRate, err = strconv.ParseFloat(v, 64); err != nil || c.errorRate < 0 || c.errorRate > 1 {
			return c, fmt.Errorf("ERROR_RATE=%q: want a number from 0 to 1", v)
		}
	}
	if v := getenv("LATENCY"); v != "" {
		if c.latency, err = time.ParseDuration(v); err != nil || c.latency < 0 {
			return c, fmt.Errorf("LATENCY=%q: want a duration such as 50ms", v)
		}
	}
	if v := getenv("HEALTHZ_STATUS"); v != "" {
		if c.healthzStatus, err = strconv.Atoi(v); err != nil || c.healthzStatus < 100 || c.healthzStatus > 599 {
			return c, fmt.Errorf("HEALTHZ_STATUS=%q: want an HTTP status code", v)
		}
	}
	if v := getenv("SELF_LOAD"); v != "" {
		if c.selfLoad, err = strconv.Atoi(v); err != nil || c.selfLoad < 0 || c.selfLoad > 1000 {
			return c, fmt.Errorf("SELF_LOAD=%q: want requests per second from 0 to 1000", v)
		}
	}
	return c, nil
}
