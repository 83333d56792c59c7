// Package promtest runs a real Prometheus for tests: Debian's prometheus package
// (installed with apt-get when missing), listening on 127.0.0.1 only, scraping every 2 s
// the pods of one test namespace that carry the annotation prometheus.io/scrape: "true",
// at their pod IPs on port 8080. Debian builds Prometheus without Kubernetes service
// discovery, so the harness lists those pods every second and writes them to a file_sd
// file that Prometheus watches. It is stopped when the test ends; nothing is left running.
package promtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Marker is the directory name in the command line of every Prometheus started here;
// the local cluster harness (test/cluster.PrometheusMarker, the same string) stops and
// reports those processes by it.
const Marker = "shipsafe-prometheus"

// ScrapeInterval is how often the test Prometheus scrapes.
const ScrapeInterval = 2 * time.Second

// Server is one running Prometheus.
type Server struct {
	// URL is its address, http://HOST:PORT.
	URL string
	// Port is the port it listens on.
	Port int

	cmd  *exec.Cmd
	done chan struct{}
	once sync.Once
	log  string
	// stopTargets ends the goroutine that keeps the targets file current.
	stopTargets context.CancelFunc
}

var installOnce sync.Once

// binary returns the prometheus binary, installing Debian's package if it is missing.
func binary(t testing.TB) string {
	t.Helper()
	installOnce.Do(func() {
		if _, err := exec.LookPath("prometheus"); err == nil {
			return
		}
		// A package that starts its service on install must not start it here: the
		// test runs its own, on loopback. policy-rc.d (exit 101) forbids starts, as in
		// container images; it is removed again if this created it.
		const policy = "/usr/sbin/policy-rc.d"
		if _, err := os.Stat(policy); os.IsNotExist(err) {
			if err := os.WriteFile(policy, []byte("#!/bin/sh\nexit 101\n"), 0o755); err == nil {
				defer os.Remove(policy)
			}
		}
		cmd := exec.Command("apt-get", "install", "-y", "--no-install-recommends", "prometheus")
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Logf("apt-get install prometheus: %v\n%s", err, out)
		}
	})
	path, err := exec.LookPath("prometheus")
	if err != nil {
		t.Fatalf("this test needs Prometheus: install Debian's package (apt-get install prometheus): %v", err)
	}
	return path
}

// Start runs Prometheus on 127.0.0.1 scraping namespace's annotated pods in the cluster
// of cs, waits until it is ready, and stops it when the test ends.
func Start(t testing.TB, cs kubernetes.Interface, namespace string) *Server {
	t.Helper()
	return StartOn(t, cs, namespace, "127.0.0.1")
}

// StartOn is Start listening on host, an address of this machine (the node IP, for a
// Service in the cluster to reach it).
func StartOn(t testing.TB, cs kubernetes.Interface, namespace, host string) *Server {
	t.Helper()
	bin := binary(t)
	// Config and data live under a directory named by Marker, so that the cluster
	// harness (make cluster-down, make cluster-leftovers) can find this process.
	dir := filepath.Join(t.TempDir(), Marker)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	port, err := freePort(host)
	if err != nil {
		t.Fatalf("find a free port for Prometheus: %v", err)
	}
	cfgPath := filepath.Join(dir, "prometheus.yml")
	targets := filepath.Join(dir, "targets.json")
	if err := os.WriteFile(targets, []byte("[]"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgPath, []byte(config(targets)), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &Server{URL: fmt.Sprintf("http://%s", net.JoinHostPort(host, strconv.Itoa(port))), Port: port, done: make(chan struct{}), log: filepath.Join(dir, "prometheus.log")}
	logf, err := os.Create(s.log)
	if err != nil {
		t.Fatal(err)
	}
	s.cmd = exec.Command(bin,
		"--config.file="+cfgPath,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+net.JoinHostPort(host, strconv.Itoa(port)),
		"--storage.tsdb.retention.time=1h",
		"--log.level=warn",
	)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start Prometheus: %v", err)
	}
	go func() {
		_ = s.cmd.Wait()
		logf.Close()
		close(s.done)
	}()
	tctx, stopTargets := context.WithCancel(context.Background())
	s.stopTargets = stopTargets
	go keepTargets(tctx, cs, namespace, targets)
	t.Cleanup(s.Stop)
	if err := s.waitReady(30 * time.Second); err != nil {
		s.Stop()
		b, _ := os.ReadFile(s.log)
		t.Fatalf("Prometheus not ready: %v\n%s", err, b)
	}
	return s
}

// Stop ends Prometheus (SIGTERM, then SIGKILL after 10 s) and waits for it to exit. It
// may be called more than once.
func (s *Server) Stop() {
	s.once.Do(func() {
		s.stopTargets()
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
}

func (s *Server) waitReady(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/-/ready", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.done:
			return fmt.Errorf("it exited")
		case <-ctx.Done():
			return fmt.Errorf("after %s: %v", timeout, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// config is the Prometheus configuration: the pods listed in the file targets.
func config(targets string) string {
	return strings.NewReplacer("TARGETS", targets, "INTERVAL", ScrapeInterval.String()).Replace(`
global:
  scrape_interval: INTERVAL
  scrape_timeout: 1s
  evaluation_interval: INTERVAL
scrape_configs:
- job_name: pods
  file_sd_configs:
  - files: [TARGETS]
    refresh_interval: 1s
`)
}

// target is one entry of a file_sd file.
type target struct {
	Targets []string          `json:"targets"`
	Labels  map[string]string `json:"labels"`
}

// keepTargets writes the running, annotated pods of namespace to path every second
// until ctx ends, replacing the file whole so Prometheus never reads half of it.
func keepTargets(ctx context.Context, cs kubernetes.Interface, namespace, path string) {
	var last []byte
	for {
		pods, err := cs.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{})
		if err == nil {
			ts := []target{}
			for _, p := range pods.Items {
				if p.Annotations["prometheus.io/scrape"] != "true" || p.Status.Phase != corev1.PodRunning ||
					p.Status.PodIP == "" || p.DeletionTimestamp != nil {
					continue
				}
				ts = append(ts, target{Targets: []string{p.Status.PodIP + ":8080"},
					Labels: map[string]string{"namespace": namespace, "pod": p.Name, "app": p.Labels["app"]}})
			}
			sort.Slice(ts, func(i, j int) bool { return ts[i].Labels["pod"] < ts[j].Labels["pod"] })
			b, _ := json.Marshal(ts)
			if !bytes.Equal(b, last) {
				tmp := path + ".tmp"
				if os.WriteFile(tmp, b, 0o644) == nil && os.Rename(tmp, path) == nil {
					last = b
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// freePort asks the kernel for a free port on host.
func freePort(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
