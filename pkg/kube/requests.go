package kube

import (
	"net/http"
	"sync/atomic"
)

// requestCounter counts the HTTP requests a Clients value sends to the API server,
// watches included (one each, however long they stay open).
type requestCounter struct {
	next http.RoundTripper
	n    *atomic.Int64
}

func (c requestCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

// Requests returns how many requests these clients have sent to the API server.
func (c *Clients) Requests() int64 { return c.requests.Load() }
