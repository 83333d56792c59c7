package cluster

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestStopMarkedPrometheus starts a real Prometheus whose data directory carries a marker
// unique to this test (so no Prometheus of another test is touched), and checks that
// markedProcesses finds it, an unmarked one is not found, and stopMarked ends it.
func TestStopMarkedPrometheus(t *testing.T) {
	bin, err := exec.LookPath(prometheusBinary)
	if err != nil {
		t.Skip("no prometheus binary (apt-get install prometheus)")
	}
	marker := fmt.Sprintf("/shipsafe-prometheus-unit-%d/", os.Getpid())
	dir := filepath.Join(t.TempDir(), marker)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte("global:\n  scrape_interval: 5s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address=127.0.0.1:0", "--log.level=error")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	deadline := time.Now().Add(10 * time.Second)
	for len(markedProcesses(prometheusBinary, marker)) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("markedProcesses(%q) did not find the started Prometheus (pid %d)", marker, cmd.Process.Pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := markedProcesses(prometheusBinary, marker); len(got) != 1 || got[0] != cmd.Process.Pid {
		t.Fatalf("markedProcesses = %v, want [%d]", got, cmd.Process.Pid)
	}
	if got := markedProcesses(prometheusBinary, marker+"other/"); len(got) != 0 {
		t.Fatalf("a different marker found %v", got)
	}
	if got := markedProcesses("no-such-binary", marker); len(got) != 0 {
		t.Fatalf("a different executable found %v", got)
	}
	if err := stopMarked(prometheusBinary, marker, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Fatal("Prometheus still running after stopMarked")
	}
	if got := markedProcesses(prometheusBinary, marker); len(got) != 0 {
		t.Fatalf("after stopMarked, still found %v", got)
	}
}
