package cluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// component is one long-running process of the cluster.
type component struct {
	Name string
	Path string
	Args []string
}

// start launches c in its own session, detached from the caller, with its output in
// .cluster/logs/<name>.log and its pid in .cluster/run/<name>.pid.
func (l Layout) start(c component) error {
	for _, d := range []string{l.path("logs"), l.path("run")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("create %s: %w", d, err)
		}
	}
	logf, err := os.OpenFile(l.path("logs", c.Name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open log of %s: %w", c.Name, err)
	}
	defer logf.Close()
	cmd := exec.Command(c.Path, c.Args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", c.Name, err)
	}
	pid := cmd.Process.Pid
	// Release: the process outlives this command; its parent becomes init.
	if err := cmd.Process.Release(); err != nil {
		return fmt.Errorf("release %s: %w", c.Name, err)
	}
	if err := os.WriteFile(l.pidFile(c.Name), []byte(strconv.Itoa(pid)), 0o644); err != nil {
		return fmt.Errorf("write pid of %s: %w", c.Name, err)
	}
	return nil
}

func (l Layout) pidFile(name string) string { return l.path("run", name+".pid") }

// running reports whether the process recorded for name is alive and runs binary.
func (l Layout) running(name, binary string) bool {
	b, err := os.ReadFile(l.pidFile(name))
	if err != nil {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return false
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	return err == nil && filepath.Base(strings.TrimSuffix(exe, " (deleted)")) == filepath.Base(binary)
}

// processNames are the executables the cluster runs, including what containerd starts.
var processNames = []string{
	"kube-proxy", "kubelet", "kube-scheduler", "kube-controller-manager", "kube-apiserver",
	"containerd-shim-runc-v2", "containerd-shim", "containerd", "etcd",
}

// findProcesses returns the pids of running processes whose executable has one of names.
func findProcesses(names []string) map[string][]int {
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
	}
	found := map[string][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err != nil {
			continue
		}
		base := filepath.Base(strings.TrimSuffix(exe, " (deleted)"))
		if want[base] {
			found[base] = append(found[base], pid)
		}
	}
	return found
}

// killAll sends SIGTERM to every process named, waits up to grace, then SIGKILLs what is
// left and waits for it to go.
func killAll(names []string, grace time.Duration) error {
	for _, pids := range findProcesses(names) {
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGTERM)
		}
	}
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) && len(findProcesses(names)) > 0 {
		time.Sleep(100 * time.Millisecond)
	}
	for _, pids := range findProcesses(names) {
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	deadline = time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if len(findProcesses(names)) == 0 {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	left := findProcesses(names)
	if len(left) == 0 {
		return nil
	}
	return fmt.Errorf("processes still running after SIGKILL: %v", left)
}

// killCgroupProcs kills every process in the kubelet's pod cgroups (containers whose shim
// is gone would otherwise survive) and removes those cgroups.
func killCgroupProcs() error {
	var errs []error
	roots, _ := filepath.Glob("/sys/fs/cgroup/*/kubepods")
	for i := 0; i < 3; i++ {
		for _, root := range roots {
			_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() || d.Name() != "cgroup.procs" {
					return nil
				}
				b, _ := os.ReadFile(path)
				for _, f := range strings.Fields(string(b)) {
					if pid, err := strconv.Atoi(f); err == nil {
						_ = syscall.Kill(pid, syscall.SIGKILL)
					}
				}
				return nil
			})
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, root := range roots {
		if err := removeCgroupTree(root); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// removeCgroupTree removes a cgroup directory tree bottom-up (cgroup dirs are removed with
// rmdir, never by deleting files).
func removeCgroupTree(root string) error {
	var dirs []string
	_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, path)
		}
		return nil
	})
	var last error
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := syscall.Rmdir(dirs[i]); err != nil && !errors.Is(err, os.ErrNotExist) {
			last = fmt.Errorf("remove cgroup %s: %w", dirs[i], err)
		}
	}
	return last
}
