package cluster

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// sysctls the node needs: forwarding between the bridge and the host, and bridged traffic
// seen by iptables so ClusterIP rules apply to pod-to-pod traffic.
var sysctls = map[string]string{
	"net/ipv4/ip_forward":                 "1",
	"net/bridge/bridge-nf-call-iptables":  "1",
	"net/bridge/bridge-nf-call-ip6tables": "1",
}

// setupHostNetwork adds the node IP to lo and sets the sysctls. It is idempotent.
func setupHostNetwork(ctx context.Context) error {
	for key, val := range sysctls {
		path := filepath.Join("/proc/sys", key)
		if _, err := os.Stat(path); err != nil {
			_ = run(ctx, nil, "modprobe", "br_netfilter")
		}
		if err := os.WriteFile(path, []byte(val), 0o644); err != nil {
			return fmt.Errorf("set sysctl %s=%s: %w", key, val, err)
		}
	}
	if has, err := nodeIPOnLo(ctx); err != nil {
		return err
	} else if !has {
		if err := run(ctx, nil, "ip", "addr", "add", NodeIP+"/32", "dev", "lo"); err != nil {
			return fmt.Errorf("add node IP to lo: %w", err)
		}
	}
	return nil
}

func nodeIPOnLo(ctx context.Context) (bool, error) {
	out, err := output(ctx, "ip", "-4", "addr", "show", "dev", "lo")
	if err != nil {
		return false, err
	}
	return strings.Contains(out, " "+NodeIP+"/32"), nil
}

// routeServices routes the Service range into the pod bridge, so that a packet to a
// ClusterIP that kube-proxy has not rewritten never leaves by the default route.
func routeServices(ctx context.Context) error {
	if out, _ := output(ctx, "ip", "route", "show", ServiceCIDR); strings.Contains(out, BridgeName) {
		return nil
	}
	if err := run(ctx, nil, "ip", "route", "replace", ServiceCIDR, "dev", BridgeName); err != nil {
		return fmt.Errorf("route %s into %s: %w", ServiceCIDR, BridgeName, err)
	}
	return nil
}

// teardownNetwork removes the route, the bridge, the node IP and the CNI state.
func teardownNetwork(ctx context.Context) []error {
	var errs []error
	if out, _ := output(ctx, "ip", "route", "show", ServiceCIDR); strings.TrimSpace(out) != "" {
		if err := run(ctx, nil, "ip", "route", "del", ServiceCIDR); err != nil {
			errs = append(errs, err)
		}
	}
	if _, err := output(ctx, "ip", "link", "show", BridgeName); err == nil {
		if err := run(ctx, nil, "ip", "link", "delete", BridgeName); err != nil {
			errs = append(errs, err)
		}
	}
	if has, _ := nodeIPOnLo(ctx); has {
		if err := run(ctx, nil, "ip", "addr", "del", NodeIP+"/32", "dev", "lo"); err != nil {
			errs = append(errs, err)
		}
	}
	if err := os.RemoveAll(CNIStateDir); err != nil {
		errs = append(errs, err)
	}
	return errs
}

// iptablesTools are the binaries whose rules the cluster touches.
var iptablesTools = []string{"iptables", "ip6tables"}

var iptablesTables = []string{"filter", "nat", "mangle", "raw"}

// ours reports whether a chain was made by kube-proxy, kubelet or the CNI plugins.
func ours(chain string) bool {
	return strings.HasPrefix(chain, "KUBE-") || strings.HasPrefix(chain, "CNI-")
}

// cleanIptables deletes the jumps to our chains from built-in chains, then flushes and
// deletes every KUBE-* and CNI-* chain, in iptables and ip6tables.
func cleanIptables(ctx context.Context) []error {
	var errs []error
	for _, tool := range iptablesTools {
		for _, table := range iptablesTables {
			rules, err := output(ctx, tool, "-w", "-t", table, "-S")
			if err != nil {
				continue // table not present in this kernel
			}
			var chains []string
			sc := bufio.NewScanner(strings.NewReader(rules))
			for sc.Scan() {
				f := splitRule(sc.Text())
				switch {
				case len(f) >= 2 && f[0] == "-N" && ours(f[1]):
					chains = append(chains, f[1])
				case len(f) >= 2 && f[0] == "-A" && !ours(f[1]) && jumpsToOurs(f):
					args := append([]string{"-w", "-t", table, "-D"}, f[1:]...)
					if err := run(ctx, nil, tool, args...); err != nil {
						errs = append(errs, err)
					}
				}
			}
			for _, c := range chains {
				_ = run(ctx, nil, tool, "-w", "-t", table, "-F", c)
			}
			for _, c := range chains {
				if err := run(ctx, nil, tool, "-w", "-t", table, "-X", c); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	return errs
}

// splitRule splits one line of `iptables -S` into arguments. Values with spaces (rule
// comments) are double-quoted there, with backslash escapes.
func splitRule(line string) []string {
	var (
		args   []string
		cur    strings.Builder
		quoted bool
		inArg  bool
	)
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\\' && quoted && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
		case c == '"':
			quoted, inArg = !quoted, true
		case c == ' ' && !quoted:
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
		default:
			cur.WriteByte(c)
			inArg = true
		}
	}
	if inArg {
		args = append(args, cur.String())
	}
	return args
}

func jumpsToOurs(rule []string) bool {
	for i := 0; i+1 < len(rule); i++ {
		if (rule[i] == "-j" || rule[i] == "-g") && ours(rule[i+1]) {
			return true
		}
	}
	return false
}

// leftoverChains lists our iptables chains that still exist.
func leftoverChains(ctx context.Context) []string {
	var left []string
	for _, tool := range iptablesTools {
		for _, table := range iptablesTables {
			rules, err := output(ctx, tool, "-w", "-t", table, "-S")
			if err != nil {
				continue
			}
			for _, line := range strings.Split(rules, "\n") {
				f := strings.Fields(line)
				if len(f) >= 2 && f[0] == "-N" && ours(f[1]) {
					left = append(left, fmt.Sprintf("%s -t %s chain %s", tool, table, f[1]))
				}
			}
		}
	}
	return left
}

// mountPrefixes are where the node components mount; Down unmounts everything below them.
var mountPrefixes = []string{KubeletRoot, ContainerdState, ContainerdRoot, "/run/netns/cni-", "/var/run/netns/cni-"}

// ourMounts lists mount points below mountPrefixes, deepest first.
func ourMounts() []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var mounts []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMount(fields[4])
		for _, p := range mountPrefixes {
			if mp == p || strings.HasPrefix(mp, p) {
				mounts = append(mounts, mp)
				break
			}
		}
	}
	sort.Slice(mounts, func(i, j int) bool { return len(mounts[i]) > len(mounts[j]) })
	return mounts
}

func unescapeMount(s string) string {
	return strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`).Replace(s)
}

// unmountAll unmounts every mount of ours, lazily where a plain unmount is refused.
func unmountAll() []error {
	var errs []error
	for i := 0; i < 3; i++ {
		mounts := ourMounts()
		if len(mounts) == 0 {
			return nil
		}
		for _, m := range mounts {
			if err := syscall.Unmount(m, 0); err != nil {
				if err := syscall.Unmount(m, syscall.MNT_DETACH); err != nil && i == 2 {
					errs = append(errs, fmt.Errorf("unmount %s: %w", m, err))
				}
			}
		}
	}
	return errs
}

// createBridge makes the pod bridge with the gateway address before the first pod, so the
// Service route can point at it from the start. The bridge CNI plugin reuses it.
func createBridge(ctx context.Context) error {
	if _, err := output(ctx, "ip", "link", "show", BridgeName); err != nil {
		if err := run(ctx, nil, "ip", "link", "add", BridgeName, "type", "bridge"); err != nil {
			return fmt.Errorf("create bridge %s: %w", BridgeName, err)
		}
	}
	// A fixed address: otherwise the bridge takes the lowest MAC of its ports, which
	// changes as pods come and go, and pods' ARP entries for their gateway go stale, so
	// replies to the host are dropped for seconds (kubenet set it for the same reason).
	if err := run(ctx, nil, "ip", "link", "set", BridgeName, "address", BridgeMAC); err != nil {
		return fmt.Errorf("set address of bridge %s: %w", BridgeName, err)
	}
	gw := "10.244.0.1/24"
	if out, _ := output(ctx, "ip", "-4", "addr", "show", "dev", BridgeName); !strings.Contains(out, gw) {
		if err := run(ctx, nil, "ip", "addr", "add", gw, "dev", BridgeName); err != nil {
			return fmt.Errorf("address bridge %s: %w", BridgeName, err)
		}
	}
	if err := run(ctx, nil, "ip", "link", "set", BridgeName, "up"); err != nil {
		return fmt.Errorf("bring up bridge %s: %w", BridgeName, err)
	}
	return nil
}
