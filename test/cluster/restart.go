package cluster

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Restart stops one component (SIGTERM, then SIGKILL after 10s), rewrites the configs and
// starts it again, waiting until it is usable. Tests use it to restart the API server in
// the middle of a rollout.
func Restart(ctx context.Context, l Layout, name string, log io.Writer) error {
	var comp *component
	for _, c := range l.components() {
		if c.Name == name {
			comp = &c
			break
		}
	}
	if comp == nil {
		return fmt.Errorf("no component %q", name)
	}
	if b, err := os.ReadFile(l.pidFile(name)); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && l.running(name, comp.Path) {
			_ = syscall.Kill(pid, syscall.SIGTERM)
			deadline := time.Now().Add(10 * time.Second)
			for l.running(name, comp.Path) && time.Now().Before(deadline) {
				time.Sleep(100 * time.Millisecond)
			}
			_ = syscall.Kill(pid, syscall.SIGKILL)
			for l.running(name, comp.Path) {
				time.Sleep(100 * time.Millisecond)
			}
		}
	}
	if err := l.configs().Write(ctx, l.pki()); err != nil {
		return err
	}
	fmt.Fprintf(log, "restarting %s\n", name)
	if err := l.start(*comp); err != nil {
		return err
	}
	api, err := newAPIClient(l.pki())
	if err != nil {
		return err
	}
	switch name {
	case "kube-apiserver":
		return waitFor(ctx, name, 90*time.Second, api.readyz)
	case "kubelet":
		return waitFor(ctx, "node Ready", 90*time.Second, api.nodeReady)
	}
	return nil
}
