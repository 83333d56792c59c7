package helm

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// TestRenderAgainstCluster renders with the real cluster: lookup reads a ConfigMap that
// exists, and .Capabilities carry the server's version and served APIs.
func TestRenderAgainstCluster(t *testing.T) {
	t.Parallel()
	cfg := clustertest.Config(t)
	cs := clustertest.Clientset(t)
	ns := clustertest.Namespace(t, cs)
	ctx := context.Background()

	// Before the ConfigMap exists, lookup gives an empty map, as in helm install.
	c := Chart{Path: webChart, Release: "web", Namespace: ns, Cluster: &Cluster{Config: cfg, Discovery: cs.Discovery()}}
	if got := configData(t, render(t, c), "web")["lookup"]; got != "absent" {
		t.Errorf("lookup before create = %q, want absent", got)
	}
	_, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "existing"},
		Data:       map[string]string{"value": "found-in-cluster"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	data := configData(t, render(t, c), "web")
	if data["lookup"] != "found-in-cluster" {
		t.Errorf("lookup = %q, want found-in-cluster", data["lookup"])
	}
	v, err := cs.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if data["kubeVersion"] != v.GitVersion {
		t.Errorf("kubeVersion = %q, want the server's %q", data["kubeVersion"], v.GitVersion)
	}
}
