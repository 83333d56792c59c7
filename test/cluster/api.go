package cluster

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// apiClient is a minimal client of the apiserver, enough to wait for readiness and run
// the smoke test without pulling client-go into the harness.
type apiClient struct {
	base  string
	token string
	http  *http.Client
}

func newAPIClient(p PKI) (*apiClient, error) {
	ca, err := os.ReadFile(p.CACert())
	if err != nil {
		return nil, fmt.Errorf("read CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("parse CA %s: no certificate", p.CACert())
	}
	tok, err := os.ReadFile(p.AdminToken())
	if err != nil {
		return nil, fmt.Errorf("read admin token: %w", err)
	}
	return &apiClient{
		base:  fmt.Sprintf("https://%s:%d", NodeIP, APIServerPort),
		token: strings.TrimSpace(string(tok)),
		http: &http.Client{
			Timeout:   10 * time.Second,
			Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		},
	}, nil
}

// do sends a request with an optional JSON body and decodes a JSON answer into out.
// It returns the HTTP status code.
func (c *apiClient) do(ctx context.Context, method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, fmt.Errorf("read %s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(b)))
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("decode %s %s: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

// readyz reports whether the apiserver answers /readyz with ok.
func (c *apiClient) readyz(ctx context.Context) bool {
	_, err := c.do(ctx, http.MethodGet, "/readyz", nil, nil)
	return err == nil
}

// nodeReady reports whether the node's Ready condition is True.
func (c *apiClient) nodeReady(ctx context.Context) bool {
	var node struct {
		Status struct {
			Conditions []struct{ Type, Status string }
		}
	}
	if _, err := c.do(ctx, http.MethodGet, "/api/v1/nodes/"+NodeName, nil, &node); err != nil {
		return false
	}
	for _, cond := range node.Status.Conditions {
		if cond.Type == "Ready" {
			return cond.Status == "True"
		}
	}
	return false
}

// waitFor calls check every interval until it is true or the timeout passes.
func waitFor(ctx context.Context, what string, timeout time.Duration, check func(context.Context) bool) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		if check(ctx) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s: not within %s", what, timeout)
		case <-tick.C:
		}
	}
}
