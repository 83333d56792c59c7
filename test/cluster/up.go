package cluster

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Up brings the cluster up, or finds it already up and healthy and reuses it. Anything a
// previous, half-started or killed run left behind is cleared first.
func Up(ctx context.Context, l Layout, log io.Writer) error {
	start := time.Now()
	if err := EnsurePackages(ctx, log); err != nil {
		return err
	}
	if err := EnsureBinaries(ctx, l, log); err != nil {
		return err
	}
	if l.healthy(ctx) {
		fmt.Fprintf(log, "cluster already up; kubeconfig: %s\n", l.Kubeconfig())
		return nil
	}
	fmt.Fprintln(log, "clearing what a previous run left behind")
	if err := Down(ctx, l, io.Discard); err != nil {
		return fmt.Errorf("clear previous run: %w", err)
	}
	if err := l.startAll(ctx, log); err != nil {
		return fmt.Errorf("%w (component logs: %s)", err, l.path("logs"))
	}
	admin, err := os.ReadFile(l.configs().AdminKubeconfig())
	if err != nil {
		return fmt.Errorf("read admin kubeconfig: %w", err)
	}
	if err := os.WriteFile(l.Kubeconfig(), admin, 0o600); err != nil {
		return fmt.Errorf("write kubeconfig: %w", err)
	}
	fmt.Fprintf(log, "cluster up in %s; kubeconfig: %s\n", time.Since(start).Round(time.Second), l.Kubeconfig())
	return nil
}

func (l Layout) pki() PKI         { return PKI{Dir: l.path("pki")} }
func (l Layout) configs() Configs { return Configs{Dir: l.path("config")} }

// healthy reports whether every component runs and the cluster answers with a Ready node.
func (l Layout) healthy(ctx context.Context) bool {
	if _, err := os.Stat(l.Kubeconfig()); err != nil {
		return false
	}
	for _, c := range l.components() {
		if !l.running(c.Name, c.Path) {
			return false
		}
	}
	api, err := newAPIClient(l.pki())
	if err != nil {
		return false
	}
	return api.readyz(ctx) && api.nodeReady(ctx)
}

// components lists the processes in start order.
func (l Layout) components() []component {
	p, c := l.pki(), l.configs()
	etcdDir := l.path("etcd")
	return []component{
		{Name: "etcd", Path: "/usr/bin/etcd", Args: []string{
			"--name=default", "--data-dir=" + etcdDir,
			"--listen-client-urls=http://127.0.0.1:2379", "--advertise-client-urls=http://127.0.0.1:2379",
			"--listen-peer-urls=http://127.0.0.1:2380", "--initial-advertise-peer-urls=http://127.0.0.1:2380",
			"--initial-cluster=default=http://127.0.0.1:2380", "--listen-metrics-urls=http://127.0.0.1:2381",
			"--quota-backend-bytes=4294967296", "--unsafe-no-fsync=true",
		}},
		{Name: "kube-apiserver", Path: l.Bin("kube-apiserver"), Args: []string{
			"--etcd-servers=http://127.0.0.1:2379",
			"--bind-address=" + NodeIP, "--advertise-address=" + NodeIP, "--secure-port=" + strconv.Itoa(APIServerPort),
			"--tls-cert-file=" + p.ServingCert(), "--tls-private-key-file=" + p.ServingKey(),
			"--client-ca-file=" + p.CACert(), "--token-auth-file=" + p.TokenFile(),
			"--authorization-mode=Node,RBAC", "--service-cluster-ip-range=" + ServiceCIDR,
			"--service-account-issuer=https://kubernetes.default.svc",
			"--service-account-key-file=" + p.SAPub(), "--service-account-signing-key-file=" + p.SAKey(),
			"--kubelet-client-certificate=" + p.KubeletClientCert(), "--kubelet-client-key=" + p.KubeletClientKey(),
			// Reach the kubelet by its IP: a hostname lookup would leave the machine.
			"--kubelet-preferred-address-types=InternalIP",
			"--allow-privileged=true", "--profiling=false", "--v=1",
		}},
		{Name: "kube-controller-manager", Path: l.Bin("kube-controller-manager"), Args: []string{
			"--kubeconfig=" + c.AdminKubeconfig(), "--bind-address=127.0.0.1",
			"--controllers=*,-nodeipam", "--leader-elect=false",
			"--service-account-private-key-file=" + p.SAKey(), "--root-ca-file=" + p.CACert(),
			"--use-service-account-credentials=false", "--service-cluster-ip-range=" + ServiceCIDR,
			// client-go's default 20 QPS queues EndpointSlice updates behind other writes
			// when tests load the cluster, so Services keep routing to terminating pods.
			"--kube-api-qps=200", "--kube-api-burst=400",
			"--profiling=false", "--v=1",
		}},
		{Name: "kube-scheduler", Path: l.Bin("kube-scheduler"), Args: []string{
			"--kubeconfig=" + c.AdminKubeconfig(), "--bind-address=127.0.0.1", "--leader-elect=false",
			"--profiling=false", "--v=1",
		}},
		{Name: "containerd", Path: "/usr/bin/containerd", Args: []string{"--config=" + c.Containerd()}},
		{Name: "kubelet", Path: l.Bin("kubelet"), Args: []string{
			"--config=" + c.Kubelet(), "--kubeconfig=" + c.NodeKubeconfig(),
			"--hostname-override=" + NodeName, "--node-ip=" + NodeIP, "--v=1",
		}},
		{Name: "kube-proxy", Path: l.Bin("kube-proxy"), Args: []string{"--config=" + c.KubeProxy(), "--v=1"}},
	}
}

// startAll starts every component in order and waits for each to be usable.
func (l Layout) startAll(ctx context.Context, log io.Writer) error {
	if err := setupHostNetwork(ctx); err != nil {
		return err
	}
	if err := createBridge(ctx); err != nil {
		return err
	}
	if err := routeServices(ctx); err != nil {
		return err
	}
	if err := l.pki().Ensure(); err != nil {
		return err
	}
	if err := l.configs().Write(ctx, l.pki()); err != nil {
		return err
	}
	api, err := newAPIClient(l.pki())
	if err != nil {
		return err
	}
	waits := map[string]func(context.Context) bool{
		"etcd":           etcdHealthy,
		"kube-apiserver": api.readyz,
		"containerd":     func(context.Context) bool { return exists(ContainerdSock) },
	}
	for _, c := range l.components() {
		fmt.Fprintf(log, "starting %s\n", c.Name)
		if err := l.start(c); err != nil {
			return err
		}
		if wait, ok := waits[c.Name]; ok {
			if err := waitFor(ctx, c.Name, 90*time.Second, wait); err != nil {
				return err
			}
		}
		if c.Name == "containerd" {
			if err := l.importPause(ctx, log); err != nil {
				return err
			}
		}
	}
	fmt.Fprintln(log, "waiting for the node to be Ready")
	if err := waitFor(ctx, "node "+NodeName+" Ready", 120*time.Second, api.nodeReady); err != nil {
		return err
	}
	return l.smokeTest(ctx, api, log)
}

func etcdHealthy(ctx context.Context) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:2379/health", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// importPause builds the sandbox image and imports it into containerd.
func (l Layout) importPause(ctx context.Context, log io.Writer) error {
	tar, err := BuildImage(ctx, l, ImageSpec{
		Ref: PauseImage, Module: filepath.Join(l.Repo, "test", "cluster"), Pkg: "./pause",
	}, log)
	if err != nil {
		return fmt.Errorf("build pause image: %w", err)
	}
	return ImportImage(ctx, tar, io.Discard)
}
