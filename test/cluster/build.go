package cluster

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Components are the Kubernetes binaries built from the k8s.io/kubernetes module.
var Components = []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy"}

// versionFlags stamp the real version into the binaries; without them every component
// reports v0.0.0-master and charts with a kubeVersion constraint refuse to install.
func versionFlags() string {
	pkg := "k8s.io/component-base/version"
	return strings.Join([]string{
		"-s", "-w",
		"-X", pkg + ".gitVersion=" + Version,
		"-X", pkg + ".gitMajor=1",
		"-X", pkg + ".gitMinor=34",
		"-X", pkg + ".gitTreeState=clean",
	}, " ")
}

// EnsureBinaries builds the Kubernetes components into the cache unless all are there.
// The first build takes about 8 minutes on 2 cores; later calls return at once.
func EnsureBinaries(ctx context.Context, l Layout, log io.Writer) error {
	var missing []string
	for _, c := range Components {
		if _, err := os.Stat(l.Bin(c)); err != nil {
			missing = append(missing, c)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if err := os.MkdirAll(l.BinDir(), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", l.BinDir(), err)
	}
	fmt.Fprintf(log, "building Kubernetes %s (%s) into %s; the first build takes about 8 minutes\n",
		Version, strings.Join(missing, ", "), l.BinDir())
	start := time.Now()
	// Build into a temporary directory and move into place, so an interrupted build never
	// leaves a half-written binary that a later run would trust.
	tmp, err := os.MkdirTemp(l.Cache, "build-")
	if err != nil {
		return fmt.Errorf("create build directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	args := []string{"build", "-trimpath", "-ldflags", versionFlags(), "-o", tmp + "/"}
	for _, c := range missing {
		args = append(args, "k8s.io/kubernetes/cmd/"+c)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = filepath.Join(l.Repo, "test", "cluster", "k8sbuild")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build Kubernetes components: %w", err)
	}
	for _, c := range missing {
		if err := os.Rename(filepath.Join(tmp, c), l.Bin(c)); err != nil {
			return fmt.Errorf("install %s: %w", c, err)
		}
	}
	fmt.Fprintf(log, "built Kubernetes components in %s\n", time.Since(start).Round(time.Second))
	return nil
}
