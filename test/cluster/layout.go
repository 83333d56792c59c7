package cluster

import (
	"fmt"
	"os"
	"path/filepath"
)

// Version is the Kubernetes version the cluster runs.
const Version = "v1.34.2"

// Network facts of the cluster. Every address is local to this machine.
const (
	NodeName     = "shipsafe-node"
	NodeIP       = "10.245.0.1"
	PodCIDR      = "10.244.0.0/24"
	ServiceCIDR  = "10.96.0.0/24"
	APIServiceIP = "10.96.0.1"
	// ClusterDNSIP is the resolver pods are given. No DNS server runs (tests use
	// ClusterIPs), but it lies in the Service range, so a lookup never leaves the machine.
	ClusterDNSIP  = "10.96.0.10"
	APIServerPort = 6443
	BridgeName    = "cni0"
	// BridgeMAC is the bridge's fixed, locally administered MAC address.
	BridgeMAC      = "02:42:0a:f4:00:01"
	PauseImage     = "local.test/pause:3.10"
	ContainerdSock = "/run/containerd/containerd.sock"
)

// Machine-wide paths the node components use; Down cleans them.
const (
	KubeletRoot     = "/var/lib/kubelet"
	ContainerdRoot  = "/var/lib/containerd"
	ContainerdState = "/run/containerd"
	CNIStateDir     = "/var/lib/cni"
)

// Layout says where the cluster keeps its files.
type Layout struct {
	Repo  string // repository root; state lives in Repo/.cluster
	Cache string // built binaries and images, kept across runs
}

// DefaultLayout returns the layout for the repository at repo, caching builds under
// $XDG_CACHE_HOME (or ~/.cache)/shipsafe.
func DefaultLayout(repo string) (Layout, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return Layout{}, fmt.Errorf("find cache directory: %w", err)
	}
	return Layout{Repo: repo, Cache: filepath.Join(cache, "shipsafe")}, nil
}

// State is the directory for logs, pid files, certificates and configs.
func (l Layout) State() string { return filepath.Join(l.Repo, ".cluster") }

// Kubeconfig is the admin kubeconfig that Up writes.
func (l Layout) Kubeconfig() string { return filepath.Join(l.State(), "kubeconfig") }

// BinDir holds the Kubernetes binaries of Version.
func (l Layout) BinDir() string { return filepath.Join(l.Cache, "k8s-"+Version) }

// Bin is the path of one Kubernetes binary.
func (l Layout) Bin(name string) string { return filepath.Join(l.BinDir(), name) }

// ImageDir holds image tarballs.
func (l Layout) ImageDir() string { return filepath.Join(l.Cache, "images") }

func (l Layout) path(parts ...string) string {
	return filepath.Join(append([]string{l.State()}, parts...)...)
}
