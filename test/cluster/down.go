package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Down stops the cluster (and any Prometheus the tests started, see PrometheusMarker)
// and removes every process, mount, iptables chain, route,
// address, bridge and piece of node state it made. It is safe to run at any time, also
// when nothing runs or when a previous run was killed half-way.
func Down(ctx context.Context, l Layout, log io.Writer) error {
	var errs []error
	// The tests' Prometheus scrapes pods through the node: stop it first.
	if err := stopTestPrometheus(); err != nil {
		errs = append(errs, err)
	}
	// Node side first so nothing restarts containers while they are killed.
	for _, group := range [][]string{{"kube-proxy", "kubelet"}} {
		if err := killAll(group, 10*time.Second); err != nil {
			errs = append(errs, err)
		}
	}
	if err := killCgroupProcs(); err != nil {
		errs = append(errs, err)
	}
	if err := killAll(processNames, 10*time.Second); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, unmountAll()...)
	for _, dir := range []string{KubeletRoot, ContainerdState, ContainerdRoot} {
		if err := os.RemoveAll(dir); err != nil {
			errs = append(errs, fmt.Errorf("remove %s: %w", dir, err))
		}
	}
	netns, _ := filepath.Glob("/run/netns/cni-*")
	for _, n := range netns {
		_ = os.Remove(n)
	}
	errs = append(errs, cleanIptables(ctx)...)
	errs = append(errs, teardownNetwork(ctx)...)
	if err := os.RemoveAll(l.State()); err != nil {
		errs = append(errs, fmt.Errorf("remove %s: %w", l.State(), err))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	fmt.Fprintln(log, "cluster down")
	return nil
}

// Leftovers lists what a cluster of this kind left on the machine: processes (also a
// Prometheus the tests started), mounts, iptables chains, the Service route, the node
// address, the bridge, CNI state and pod cgroups. After Down it is empty.
func Leftovers(ctx context.Context) []string {
	left := leftoverPrometheus()
	for name, pids := range findProcesses(processNames) {
		left = append(left, fmt.Sprintf("process %s (pids %v)", name, pids))
	}
	for _, m := range ourMounts() {
		left = append(left, "mount "+m)
	}
	left = append(left, leftoverChains(ctx)...)
	if out, _ := output(ctx, "ip", "route", "show", ServiceCIDR); strings.TrimSpace(out) != "" {
		left = append(left, "route "+strings.TrimSpace(out))
	}
	if has, _ := nodeIPOnLo(ctx); has {
		left = append(left, "address "+NodeIP+"/32 on lo")
	}
	if _, err := output(ctx, "ip", "link", "show", BridgeName); err == nil {
		left = append(left, "link "+BridgeName)
	}
	for _, p := range []string{CNIStateDir, KubeletRoot, ContainerdState} {
		if exists(p) {
			left = append(left, "directory "+p)
		}
	}
	if cg, _ := filepath.Glob("/sys/fs/cgroup/*/kubepods"); len(cg) > 0 {
		left = append(left, "cgroups "+strings.Join(cg, " "))
	}
	netns, _ := filepath.Glob("/run/netns/cni-*")
	for _, n := range netns {
		left = append(left, "netns "+n)
	}
	return left
}
