package e2e

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// TestHelmSpellings drives Helm's spellings through the binary: --kube-context picks a
// second context of a copied kubeconfig whose current context cannot be reached;
// --take-ownership adopts an object made by hand; --atomic and --wait deploy with a
// note that they are shipsafe's defaults; --atomic with --rollback never, and -f with
// --chart (pointing to --values), are refused with exit 2 and nothing changed.
func TestHelmSpellings(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// A copy of the kubeconfig: its current context points at a closed port, context
	// "second" at the real cluster.
	cfg, err := clientcmd.LoadFromFile(e.kubeconfig)
	must(t, err)
	real := cfg.Contexts[cfg.CurrentContext]
	if real == nil {
		t.Fatalf("kubeconfig %s has no current context", e.kubeconfig)
	}
	cfg.Contexts["second"] = real.DeepCopy()
	cfg.Clusters["nowhere"] = &clientcmdapi.Cluster{Server: "https://127.0.0.1:1", InsecureSkipTLSVerify: true}
	cfg.Contexts["nowhere"] = &clientcmdapi.Context{Cluster: "nowhere", AuthInfo: real.AuthInfo}
	cfg.CurrentContext = "nowhere"
	copied := filepath.Join(t.TempDir(), "kubeconfig")
	must(t, clientcmd.WriteToFile(*cfg, copied))
	e2 := *e
	e2.kubeconfig = copied

	_, err = e.client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "handmade"}, Data: map[string]string{"by": "hand"}}, metav1.CreateOptions{})
	must(t, err)
	manifest := writeManifest(t, `apiVersion: v1
kind: ConfigMap
metadata:
  name: handmade
data:
  by: shipsafe
`)

	// The current context cannot be reached: nothing changes.
	r := e2.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-f", manifest, "--take-ownership")
	if r.code == 0 {
		t.Fatalf("deploy through the unreachable current context succeeded:\n%s", r.stdout)
	}
	wantContains(t, "unreachable context", r.stderr, "127.0.0.1:1")

	r = e2.shipsafe(t, ctx, "--kube-context", "second", "-n", ns, "deploy", "web", "-f", manifest,
		"--take-ownership", "--atomic", "--wait")
	wantExit(t, r, 0)
	wantContains(t, "Helm notes", r.stdout+r.stderr, "Note: --atomic is shipsafe's default", "Note: --wait is shipsafe's default")
	cm, err := e.client.CoreV1().ConfigMaps(ns).Get(ctx, "handmade", metav1.GetOptions{})
	must(t, err)
	if cm.Data["by"] != "shipsafe" || cm.Labels["shipsafe.io/release"] != "web" {
		t.Errorf("ConfigMap handmade after --take-ownership: data %v labels %v, want adopted by release web", cm.Data, cm.Labels)
	}
	r = e2.shipsafe(t, ctx, "--kube-context", "second", "-n", ns, "history", "web", "-o", "json")
	wantExit(t, r, 0)
	wantContains(t, "history through --kube-context", r.stdout, `"revision":1`, `"status":"deployed"`)

	r = e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-f", manifest, "--atomic", "--rollback", "never")
	wantExit(t, r, 2)
	wantContains(t, "--atomic with --rollback never", r.stderr, "--atomic and --rollback never contradict each other")

	values := filepath.Join(t.TempDir(), "values.yaml")
	writeFile(t, filepath.Dir(values), "values.yaml", "greeting: hi\n")
	r = e.shipsafe(t, ctx, "-n", ns, "deploy", "app", "--chart", infoChart(t, "1.0.0"), "-f", values)
	wantExit(t, r, 2)
	wantContains(t, "-f with --chart", r.stderr, "--values")
	if revs := e.history(t, ctx, ns, "web"); len(revs) != 1 {
		t.Errorf("refused deploys recorded revisions: %s", statuses(revs))
	}
	if _, err := e.client.CoreV1().Secrets(ns).Get(ctx, "shipsafe.app.v1", metav1.GetOptions{}); err == nil {
		t.Error("the refused chart deploy recorded release app")
	}
}
