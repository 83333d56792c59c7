package clustertest

import (
	"net/http"
	"sync"
	"testing"

	"k8s.io/client-go/rest"
)

// RequestLog records "METHOD PATH?QUERY" of every request a client sends through it.
type RequestLog struct {
	mu    sync.Mutex
	lines []string
	next  http.RoundTripper
}

// LoggedConfig returns a copy of the test cluster's config whose clients send every
// request through the returned RequestLog.
func LoggedConfig(t testing.TB) (*rest.Config, *RequestLog) {
	t.Helper()
	log := &RequestLog{}
	cfg := rest.CopyConfig(Config(t))
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { log.next = rt; return log })
	return cfg, log
}

// RoundTrip implements http.RoundTripper.
func (l *RequestLog) RoundTrip(req *http.Request) (*http.Response, error) {
	l.mu.Lock()
	l.lines = append(l.lines, req.Method+" "+req.URL.RequestURI())
	l.mu.Unlock()
	return l.next.RoundTrip(req)
}

// Take returns the requests recorded since the last Take and forgets them.
func (l *RequestLog) Take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.lines
	l.lines = nil
	return out
}
