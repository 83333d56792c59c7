package graceful

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
)

// HTTPServer adapts an *http.Server for Run. Make it with HTTP.
type HTTPServer struct {
	srv     *http.Server
	ln      net.Listener
	tracker *connTracker
}

// HTTP adapts srv, serving on ln, or on a listener opened on srv.Addr by Run when ln is
// nil (":http" when Addr is empty). When srv.TLSConfig carries certificates the server
// serves TLS.
//
// Before serving, Run changes srv in two ways: srv.Handler (or http.DefaultServeMux when
// nil) is wrapped so that every response written from the first signal on carries
// "Connection: close", which moves kept-alive HTTP/1.1 clients to other pods and makes
// HTTP/2 send GOAWAY; and srv.ConnState is chained so that hijacked connections are
// followed and given Options.HijackTimeout after the drain. The adapter never calls
// SetKeepAlivesEnabled(false), which would reset idle connections under the clients.
func HTTP(srv *http.Server, ln net.Listener) *HTTPServer {
	return &HTTPServer{srv: srv, ln: ln, tracker: newConnTracker()}
}

// String names the server in logs and errors, e.g. "http 127.0.0.1:8080".
func (h *HTTPServer) String() string {
	if h.ln != nil {
		return "http " + h.ln.Addr().String()
	}
	return "http " + h.srv.Addr
}

// prepare opens the listener when none was given, wraps the handler and chains ConnState.
// draining reports whether responses should close their connection.
func (h *HTTPServer) prepare(draining func() bool) error {
	if h.ln == nil {
		addr := h.srv.Addr
		if addr == "" {
			addr = ":http"
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("listen %s: %w", addr, err)
		}
		h.ln = ln
	}
	h.ln = h.tracker.listener(h.ln)

	next := h.srv.Handler
	if next == nil {
		next = http.DefaultServeMux
	}
	h.srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if draining() {
			w.Header().Set("Connection", "close")
		}
		next.ServeHTTP(w, r)
	})

	userState := h.srv.ConnState
	h.srv.ConnState = func(c net.Conn, state http.ConnState) {
		if state == http.StateHijacked {
			h.tracker.markHijacked(c)
		}
		if userState != nil {
			userState(c, state)
		}
	}
	return nil
}

// Serve serves until Shutdown. Use it through Service.Run, which prepares the server.
func (h *HTTPServer) Serve() error {
	if h.ln == nil {
		return errors.New("serve: no listener: run the server through Service.Run")
	}
	var err error
	if c := h.srv.TLSConfig; c != nil && (len(c.Certificates) > 0 || c.GetCertificate != nil || c.GetConfigForClient != nil) {
		err = h.srv.ServeTLS(h.ln, "", "")
	} else {
		err = h.srv.Serve(h.ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown closes the listener, closes idle connections, waits for active ones to finish
// their request, and cuts the rest off with Close when ctx ends. Hijacked connections are
// left to waitHijacked.
func (h *HTTPServer) Shutdown(ctx context.Context) error {
	if err := h.srv.Shutdown(ctx); err != nil {
		_ = h.srv.Close() // its error repeats what Shutdown said
		return err
	}
	return nil
}

// waitHijacked waits until every hijacked connection is closed, closing those left when
// ctx ends.
func (h *HTTPServer) waitHijacked(ctx context.Context) error { return h.tracker.wait(ctx) }

// closeListener releases a listener opened by prepare when Run fails before serving.
func (h *HTTPServer) closeListener() {
	if h.ln != nil {
		_ = h.ln.Close()
	}
}
