package cluster

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// PrometheusMarker is a directory name in the command line (config file and data
// directory) of every Prometheus that shipsafe's tests start (internal/promtest keeps
// the same constant). Down stops those processes and Leftovers reports them, wherever
// the test that started them ran; any other Prometheus on the machine is left alone.
const PrometheusMarker = "/shipsafe-prometheus/"

// prometheusBinary is the executable name of Debian's Prometheus.
const prometheusBinary = "prometheus"

// markedProcesses returns the pids of running processes whose executable's base name is
// exe and whose command line contains marker.
func markedProcesses(exe, marker string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		path, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err != nil || filepath.Base(strings.TrimSuffix(path, " (deleted)")) != exe {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !strings.Contains(strings.ReplaceAll(string(cmdline), "\x00", " "), marker) {
			continue
		}
		pids = append(pids, pid)
	}
	return pids
}

// stopMarked ends the processes markedProcesses(exe, marker) finds: SIGTERM, up to grace
// for them to exit, then SIGKILL. It fails when one still runs 10 s after that.
func stopMarked(exe, marker string, grace time.Duration) error {
	signalAll := func(sig syscall.Signal) {
		for _, pid := range markedProcesses(exe, marker) {
			_ = syscall.Kill(pid, sig)
		}
	}
	waitGone := func(d time.Duration) bool {
		for deadline := time.Now().Add(d); ; time.Sleep(100 * time.Millisecond) {
			if len(markedProcesses(exe, marker)) == 0 {
				return true
			}
			if time.Now().After(deadline) {
				return false
			}
		}
	}
	signalAll(syscall.SIGTERM)
	if waitGone(grace) {
		return nil
	}
	signalAll(syscall.SIGKILL)
	if waitGone(10 * time.Second) {
		return nil
	}
	return fmt.Errorf("%s processes (command line containing %q) still running after SIGKILL: pids %v",
		exe, marker, markedProcesses(exe, marker))
}

// stopTestPrometheus stops every Prometheus the tests started (see PrometheusMarker).
func stopTestPrometheus() error {
	return stopMarked(prometheusBinary, PrometheusMarker, 10*time.Second)
}

// leftoverPrometheus describes the running Prometheus processes the tests started.
func leftoverPrometheus() []string {
	pids := markedProcesses(prometheusBinary, PrometheusMarker)
	if len(pids) == 0 {
		return nil
	}
	return []string{fmt.Sprintf("process %s started by the tests (command line contains %q; pids %v)",
		prometheusBinary, PrometheusMarker, pids)}
}
