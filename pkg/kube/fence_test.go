package kube

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// guardFunc is a Guard made of a function.
type guardFunc func() (time.Duration, error)

func (f guardFunc) Check() (time.Duration, error) { return f() }

var errLost = errors.New("lock lost")

// TestFenceStopsWritesOnly drives clients against a server that counts what reaches it:
// with a lost guard no write arrives, while reads and dry runs still do; with a held
// guard, writes pass; after Drop, everything passes.
func TestFenceStopsWritesOnly(t *testing.T) {
	t.Parallel()
	var writes, reads atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			reads.Add(1)
		} else {
			writes.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}`))
	}))
	defer srv.Close()
	c, err := New(&rest.Config{Host: srv.URL}, "ns")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cms := c.Typed.CoreV1().ConfigMaps("ns")
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x"}}

	var lost atomic.Bool
	c.Fence.Hold(guardFunc(func() (time.Duration, error) {
		if lost.Load() {
			return 0, errLost
		}
		return time.Minute, nil
	}))
	if _, err := cms.Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create while held: %v", err)
	}
	lost.Store(true)
	if _, err := cms.Update(ctx, cm, metav1.UpdateOptions{}); !errors.Is(err, errLost) {
		t.Errorf("update after the lock was lost: err = %v, want the guard's error", err)
	}
	if err := cms.Delete(ctx, "x", metav1.DeleteOptions{}); !errors.Is(err, errLost) {
		t.Errorf("delete after the lock was lost: err = %v, want the guard's error", err)
	}
	if _, err := cms.Create(ctx, cm, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
		t.Errorf("dry run after the lock was lost: %v", err)
	}
	if _, err := cms.Get(ctx, "x", metav1.GetOptions{}); err != nil {
		t.Errorf("read after the lock was lost: %v", err)
	}
	if _, err := c.Unfenced.CoreV1().ConfigMaps("ns").Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Errorf("unfenced write: %v", err)
	}
	if got := writes.Load(); got != 3 { // create, dry run, unfenced update
		t.Errorf("%d writes reached the server, want 3", got)
	}
	c.Fence.Drop()
	if _, err := cms.Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Errorf("update after Drop: %v", err)
	}
	if reads.Load() != 1 {
		t.Errorf("%d reads reached the server, want 1", reads.Load())
	}
}

// TestFenceBoundsAWriteByTheGuard sends a write to a server that answers late: the write
// ends when the guard's time runs out, with the guard's error.
func TestFenceBoundsAWriteByTheGuard(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c, err := New(&rest.Config{Host: srv.URL}, "ns")
	if err != nil {
		t.Fatal(err)
	}
	until := time.Now().Add(300 * time.Millisecond)
	c.Fence.Hold(guardFunc(func() (time.Duration, error) {
		if left := time.Until(until); left > 0 {
			return left, nil
		}
		return 0, errLost
	}))
	_, err = c.Typed.CoreV1().ConfigMaps("ns").Create(context.Background(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x"}}, metav1.CreateOptions{})
	if !errors.Is(err, errLost) {
		t.Errorf("a write outliving the guard: err = %v, want the guard's error", err)
	}
}
