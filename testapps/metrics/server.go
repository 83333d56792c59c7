package main

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// server answers GET / with the configured error rate and latency, counting requests.
type server struct {
	cfg      config
	requests *prometheus.CounterVec
	duration prometheus.Histogram

	mu sync.Mutex
	n  int // GET / requests so far
}

func newServer(cfg config, reg prometheus.Registerer) *server {
	s := &server{
		cfg: cfg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total", Help: "GET / requests by status code.",
		}, []string{"code"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "http_request_duration_seconds", Help: "GET / latency.", Buckets: prometheus.DefBuckets,
		}),
	}
	reg.MustRegister(s.requests, s.duration)
	// Both series exist from the start, so an error ratio is 0, not "no data", until
	// the first failure.
	s.requests.WithLabelValues("200")
	s.requests.WithLabelValues("500")
	return s
}

// fails reports whether the n-th request (from 0) is one of the failing share: the
// count of failures so far grows by one whenever n*rate passes a whole number, so
// failures are spread evenly and their share is exact over any whole period.
func fails(n int, rate float64) bool {
	return int(float64(n+1)*rate+1e-9) > int(float64(n)*rate+1e-9)
}

func (s *server) home(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	n := s.n
	s.n++
	s.mu.Unlock()
	if s.cfg.latency > 0 {
		time.Sleep(s.cfg.latency)
	}
	if fails(n, s.cfg.errorRate) {
		http.Error(w, "simulated failure of version "+s.cfg.version, http.StatusInternalServerError)
		return
	}
	fmt.Fprintln(w, s.cfg.version)
}

func (s *server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(s.cfg.healthzStatus)
	status := "up"
	if s.cfg.healthzStatus >= 300 {
		status = "down"
	}
	fmt.Fprintf(w, "{\"status\":%q,\"version\":%q}\n", status, s.cfg.version)
}

// instrument counts each request by status and observes its duration.
func (s *server) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(rec, r)
		s.requests.WithLabelValues(strconv.Itoa(rec.code)).Inc()
		s.duration.Observe(time.Since(start).Seconds())
	})
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.code = code
	r.ResponseWriter.WriteHeader(code)
}
