package cluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Configs holds the paths of the generated component configurations.
type Configs struct {
	Dir string
}

// Paths of the generated files.
func (c Configs) AdminKubeconfig() string { return filepath.Join(c.Dir, "admin.kubeconfig") }
func (c Configs) NodeKubeconfig() string  { return filepath.Join(c.Dir, "kubelet.kubeconfig") }
func (c Configs) Containerd() string      { return filepath.Join(c.Dir, "containerd.toml") }
func (c Configs) CNIDir() string          { return filepath.Join(c.Dir, "cni") }
func (c Configs) Kubelet() string         { return filepath.Join(c.Dir, "kubelet.yaml") }
func (c Configs) KubeProxy() string       { return filepath.Join(c.Dir, "kube-proxy.yaml") }

// Write generates every configuration file from the PKI.
func (c Configs) Write(ctx context.Context, p PKI) error {
	if err := os.MkdirAll(c.CNIDir(), 0o755); err != nil {
		return fmt.Errorf("create config directory: %w", err)
	}
	admin, err := os.ReadFile(p.AdminToken())
	if err != nil {
		return fmt.Errorf("read admin token: %w", err)
	}
	node, err := os.ReadFile(p.NodeToken())
	if err != nil {
		return fmt.Errorf("read node token: %w", err)
	}
	containerd, err := c.containerdConfig(ctx)
	if err != nil {
		return err
	}
	files := map[string]string{
		c.AdminKubeconfig(): kubeconfig(p.CACert(), "admin", string(admin)),
		c.NodeKubeconfig():  kubeconfig(p.CACert(), "system:node:"+NodeName, string(node)),
		c.Containerd():      containerd,
		filepath.Join(c.CNIDir(), "10-shipsafe.conflist"): cniConfig,
		c.Kubelet():   kubeletConfig(p),
		c.KubeProxy(): kubeProxyConfig(c.AdminKubeconfig()),
	}
	for path, content := range files {
		if err := writeIfChanged(path, content); err != nil {
			return err
		}
	}
	return nil
}

// writeIfChanged writes content to path unless the file already holds it: kube-proxy
// exits when its configuration file is written to, even with the same content.
func writeIfChanged(path, content string) error {
	if old, err := os.ReadFile(path); err == nil && string(old) == content {
		return nil
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// kubeconfig returns a kubeconfig that authenticates with a bearer token.
func kubeconfig(caPath, user, token string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: shipsafe
  cluster:
    certificate-authority: %s
    server: https://%s:%d
users:
- name: %s
  user:
    token: %s
contexts:
- name: shipsafe
  context:
    cluster: shipsafe
    user: %s
current-context: shipsafe
`, caPath, NodeIP, APIServerPort, user, strings.TrimSpace(token), user)
}

// containerdConfig starts from containerd's defaults and sets what this machine needs:
// the local pause image, Debian's CNI plugin directory, our CNI config directory, and
// restrict_oom_score_adj, without which runc fails to create sandboxes here.
func (c Configs) containerdConfig(ctx context.Context) (string, error) {
	def, err := output(ctx, "containerd", "config", "default")
	if err != nil {
		return "", fmt.Errorf("read containerd defaults: %w", err)
	}
	edits := []struct{ re, repl string }{
		{`(?m)^(\s*)sandbox_image = .*$`, `${1}sandbox_image = "` + PauseImage + `"`},
		{`(?m)^(\s*)restrict_oom_score_adj = .*$`, `${1}restrict_oom_score_adj = true`},
		{`(?m)^(\s*)bin_dir = .*$`, `${1}bin_dir = "/usr/lib/cni"`},
		{`(?m)^(\s*)conf_dir = .*$`, `${1}conf_dir = "` + c.CNIDir() + `"`},
	}
	for _, e := range edits {
		re := regexp.MustCompile(e.re)
		if !re.MatchString(def) {
			return "", fmt.Errorf("containerd default config has no line matching %s; containerd version changed?", e.re)
		}
		def = re.ReplaceAllString(def, e.repl)
	}
	return def, nil
}

var cniConfig = fmt.Sprintf(`{
  "cniVersion": "0.4.0",
  "name": "shipsafe",
  "plugins": [
    {
      "type": "bridge",
      "bridge": %q,
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {"type": "host-local", "ranges": [[{"subnet": %q}]], "routes": [{"dst": "0.0.0.0/0"}]}
    },
    {"type": "portmap", "capabilities": {"portMappings": true}},
    {"type": "loopback"}
  ]
}
`, BridgeName, PodCIDR)

func kubeletConfig(p PKI) string {
	return fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: %s
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
cgroupDriver: cgroupfs
failSwapOn: false
podCIDR: %s
containerRuntimeEndpoint: unix://%s
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: %s}
authorization:
  mode: AlwaysAllow
serializeImagePulls: false
evictionHard:
  memory.available: 200Mi
  nodefs.available: 1%%
  nodefs.inodesFree: 1%%
  imagefs.available: 1%%
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
maxPods: 200
kubeAPIQPS: 100
kubeAPIBurst: 200
resolvConf: /etc/resolv.conf
clusterDNS: [%s]
clusterDomain: cluster.local
`, NodeIP, PodCIDR, ContainerdSock, p.CACert(), ClusterDNSIP)
}

func kubeProxyConfig(kubeconfigPath string) string {
	return fmt.Sprintf(`apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: %s
mode: iptables
clusterCIDR: %s
bindAddress: 127.0.0.1
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
hostnameOverride: %s
nodePortAddresses: ["%s/32"]
conntrack:
  maxPerCore: 0
`, kubeconfigPath, PodCIDR, NodeName, NodeIP)
}
