package graceful

import (
	"fmt"
	"net/http"
	"strings"
)

// Readiness returns the handler for the readiness probe (conventionally GET /readyz): 200
// "ok" while Ready returns nil, otherwise 503 with one line per reason. The status is
// written before any body, so a failing probe can never read as 200.
func (s *Service) Readiness() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := s.Ready(r.Context())
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err == nil {
			w.WriteHeader(http.StatusOK)
			fmt.Fprintln(w, "ok")
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "not ready")
		for _, line := range reasons(err) {
			fmt.Fprintln(w, "- "+line)
		}
	})
}

// Liveness returns the handler for the liveness probe (conventionally GET /livez): 200
// "ok" in every phase, draining included, so the kubelet never restarts a container that
// is shutting down on purpose. Liveness deliberately checks no dependency: a database
// outage should make pods unready, not restart them all.
func (s *Service) Liveness() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		fmt.Fprintln(w, "ok")
	})
}

// reasons flattens a joined error into one line per failure.
func reasons(err error) []string {
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		var out []string
		for _, e := range joined.Unwrap() {
			out = append(out, reasons(e)...)
		}
		return out
	}
	return []string{strings.ReplaceAll(err.Error(), "\n", " ")}
}
