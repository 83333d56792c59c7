package kube

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"
)

// Guard says whether writes may go on: a held release lock (release.Lock) implements
// it. Check returns how much longer writes are certainly allowed, or an error once they
// are not.
type Guard interface {
	Check() (time.Duration, error)
}

// Fence lets the writes of a Clients value through only while its guard allows: every
// request that may change the cluster (any method but GET, HEAD and OPTIONS, unless it
// is a dry run) is checked right before it is sent and bounded by the time the guard
// still allows, so that a run that lost its lock cannot change anything, whichever code
// path writes. Reads, watches and dry runs always pass. With no guard held every request
// passes. The zero value is ready to use; a nil *Fence holds nothing.
type Fence struct {
	mu    sync.Mutex
	guard Guard
}

// Hold makes every later write pass g first, until Drop.
func (f *Fence) Hold(g Guard) {
	if f == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.guard = g
}

// Drop removes the guard: writes pass freely again.
func (f *Fence) Drop() {
	f.Hold(nil)
}

func (f *Fence) current() Guard {
	if f == nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.guard
}

// wrap returns rt behind the fence.
func (f *Fence) wrap(rt http.RoundTripper) http.RoundTripper {
	return fencedTransport{fence: f, next: rt}
}

type fencedTransport struct {
	fence *Fence
	next  http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t fencedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	g := t.fence.current()
	if g == nil || !mayWrite(r) {
		return t.next.RoundTrip(r)
	}
	left, err := g.Check()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(r.Context(), left)
	resp, err := t.next.RoundTrip(r.WithContext(ctx))
	if err != nil {
		cancel()
		if errors.Is(ctx.Err(), context.DeadlineExceeded) && r.Context().Err() == nil {
			if _, lost := g.Check(); lost != nil {
				return nil, lost
			}
		}
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// mayWrite reports whether r may change the cluster.
func mayWrite(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return r.URL.Query().Get("dryRun") == ""
}

// cancelOnClose ends a request's context when its response body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}
