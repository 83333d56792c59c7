package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// load sends bounded HTTP traffic at one URL: keep-alive clients and clients that open a
// new connection per request, sharing one rate limit. It only targets addresses of the
// local cluster (a ClusterIP) and stops by itself after maxDuration.
type load struct {
	url         string
	rate        int // requests per second, all workers together
	workers     int // half keep-alive, half new-connection
	maxDuration time.Duration
}

// loadResult counts what the clients saw.
type loadResult struct {
	sent, failed int64
	// versions counts the successful answers by body (the app's VERSION).
	versions map[string]int64
	// errors holds up to a few distinct failure descriptions.
	errors []string
}

func (r loadResult) String() string {
	return fmt.Sprintf("%d requests, %d failed, versions %v, errors %v", r.sent, r.failed, r.versions, r.errors)
}

// run sends traffic until ctx is done or maxDuration passes, and returns the counts.
func (l load) run(ctx context.Context) loadResult {
	ctx, cancel := context.WithTimeout(ctx, l.maxDuration)
	defer cancel()
	var (
		sent, failed atomic.Int64
		mu           sync.Mutex
		versions     = map[string]int64{}
		errs         = map[string]bool{}
		wg           sync.WaitGroup
	)
	tokens := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Second / time.Duration(l.rate))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				close(tokens)
				return
			case <-t.C:
				select {
				case tokens <- struct{}{}:
				default: // all workers busy: drop the tick rather than queue a burst
				}
			}
		}
	}()
	for i := 0; i < l.workers; i++ {
		keepAlive := i%2 == 0
		client := &http.Client{
			Timeout: 5 * time.Second,
			Transport: &http.Transport{
				// 5 s lets the kernel retransmit a lost SYN (at 1 s and 3 s): a slow connect is
				// not a dropped request. Refused and reset connections still count at once.
				DialContext:       (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
				DisableKeepAlives: !keepAlive,
				MaxIdleConns:      1,
			},
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer client.CloseIdleConnections()
			for range tokens {
				sent.Add(1)
				body, err := l.get(client)
				mu.Lock()
				if err != nil {
					failed.Add(1)
					kind := "new-conn"
					if keepAlive {
						kind = "keep-alive"
					}
					if len(errs) < 6 {
						errs[kind+" "+err.Error()] = true
					}
				} else {
					versions[body]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res := loadResult{sent: sent.Load(), failed: failed.Load(), versions: versions}
	for e := range errs {
		res.errors = append(res.errors, e)
	}
	return res
}

// get does one request (no request context: an in-flight request is never cut by the
// end of the load, only by the client timeout) and returns the body of a 200 answer.
func (l load) get(client *http.Client) (string, error) {
	resp, err := client.Get(l.url)
	if err != nil {
		return "", simplify(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", simplify(err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %d", resp.StatusCode)
	}
	return strings.TrimSpace(string(b)), nil
}

// simplify drops addresses and ports from network errors so that the same failure is
// counted once.
func simplify(err error) error {
	var op *net.OpError
	if errors.As(err, &op) {
		return fmt.Errorf("%s: %v", op.Op, op.Err)
	}
	return err
}
