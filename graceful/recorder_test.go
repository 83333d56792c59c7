package graceful

import (
	"bytes"
	"net/http"
	"testing"
)

// recorder is a ResponseWriter that notes whether the body came before the status.
type recorder struct {
	header         http.Header
	code           int
	body           bytes.Buffer
	wroteBodyFirst bool
}

func newRecorder() *recorder { return &recorder{header: http.Header{}} }

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.wroteBodyFirst = true
		r.code = http.StatusOK
	}
	return r.body.Write(b)
}

func mustRequest(t *testing.T, path string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
