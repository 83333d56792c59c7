package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// helmBinary returns the Helm CLI built from its Go module by `make helm`.
func helmBinary(t *testing.T) string {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(cache, "shipsafe", "helm-v4.3.1", "helm")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("Helm CLI missing at %s: run `make helm` (make test does): %v", p, err)
	}
	return p
}

const importChart = `apiVersion: apps/v1
kind: Deployment
metadata: {name: {{ .Release.Name }}}
spec:
  replicas: 2
  selector: {matchLabels: {app: {{ .Release.Name }}}}
  template:
    metadata: {labels: {app: {{ .Release.Name }}}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: app
        image: {{ .Values.image }}
        imagePullPolicy: Never
        env: [{name: VERSION, value: {{ .Values.version | quote }}}]
        readinessProbe: {httpGet: {path: /readyz, port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: {{ .Release.Name }}-config}
data: {version: {{ .Values.version | quote }}}
`

// TestImportHelmRelease installs a release with Helm, imports it with shipsafe (no pod is
// restarted, Helm's record is untouched), then upgrades it with shipsafe.
func TestImportHelmRelease(t *testing.T) {
	t.Parallel()
	e := setup(t)
	helm := helmBinary(t)
	img := e.image(t, "naive", "v1")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	chart := helmInstall(t, ctx, e, helm, ns, img, importChart)
	before := podStates(t, e, ns, "app=web")
	helmRecords := secretNames(t, e, ns, "owner=helm")

	res := e.shipsafe(t, ctx, "-n", ns, "import-helm", "web")
	if res.code != 0 {
		t.Fatalf("import-helm: exit %d\n%s", res.code, res.stderr)
	}
	if after := podStates(t, e, ns, "app=web"); after != before {
		t.Errorf("pods changed by the import:\nbefore %s\nafter  %s", before, after)
	}
	if got := secretNames(t, e, ns, "owner=helm"); got != helmRecords {
		t.Errorf("Helm's records changed: before %s, after %s", helmRecords, got)
	}
	hist := e.shipsafe(t, ctx, "-n", ns, "history", "web", "-o", "json")
	var revs []struct {
		Revision    int
		Status      string
		Description string
		ObjectCount int
	}
	must(t, json.Unmarshal([]byte(hist.stdout), &revs))
	if len(revs) != 1 || revs[0].Status != "deployed" || !strings.Contains(revs[0].Description, "import from Helm revision 1") || revs[0].ObjectCount != 2 {
		t.Fatalf("history after import = %+v, want one deployed revision with 2 objects imported from Helm", revs)
	}
	// A second import is refused: shipsafe manages the release now.
	if again := e.shipsafe(t, ctx, "-n", ns, "import-helm", "web"); again.code != 2 {
		t.Errorf("second import: exit %d, want 2", again.code)
	}

	// Upgrade with shipsafe from plain manifests: helm template's output with a new version.
	tmpl := exec.CommandContext(ctx, helm, "template", "web", chart, "-n", ns, "--set", "version=s2")
	out, err := tmpl.Output()
	if err != nil {
		t.Fatalf("helm template: %v", err)
	}
	manifests := filepath.Join(t.TempDir(), "web.yaml")
	must(t, os.WriteFile(manifests, out, 0o644))
	if up := e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-f", manifests); up.code != 0 {
		t.Fatalf("upgrade after import: exit %d\n%s", up.code, up.stderr)
	}
	cm, err := e.client.CoreV1().ConfigMaps(ns).Get(ctx, "web-config", metav1.GetOptions{})
	if err != nil || cm.Data["version"] != "s2" {
		t.Fatalf("config after upgrade: %v %v, want version s2", cm.Data, err)
	}
}

// helmInstall writes a chart "web" with templates and values image and version h1, and
// installs it with the Helm CLI as release "web" in ns. It returns the chart's directory.
func helmInstall(t *testing.T, ctx context.Context, e *env, helm, ns, image string, templates ...string) string {
	t.Helper()
	chart := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(chart, "templates"), 0o755))
	must(t, os.WriteFile(filepath.Join(chart, "Chart.yaml"), []byte("apiVersion: v2\nname: web\nversion: 1.0.0\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(chart, "values.yaml"), []byte("image: "+image+"\nversion: h1\n"), 0o644))
	for i, tmpl := range templates {
		must(t, os.WriteFile(filepath.Join(chart, "templates", fmt.Sprintf("t%d.yaml", i)), []byte(tmpl), 0o644))
	}
	install := exec.CommandContext(ctx, helm, "install", "web", chart, "-n", ns, "--wait", "--timeout", "2m", "--kubeconfig", e.kubeconfig)
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("helm install: %v\n%s", err, out)
	}
	return chart
}

// importHooks are hooks for importChart: one Helm ran at install, one for uninstall, and
// a test hook, which shipsafe does not run.
const importHooks = `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-installed
  annotations: {helm.sh/hook: post-install}
data: {version: {{ .Values.version | quote }}}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-farewell
  annotations: {helm.sh/hook: post-delete}
data: {version: {{ .Values.version | quote }}}
---
apiVersion: v1
kind: Pod
metadata:
  name: {{ .Release.Name }}-test
  annotations: {helm.sh/hook: test}
spec:
  restartPolicy: Never
  containers: [{name: test, image: {{ .Values.image }}, imagePullPolicy: Never}]
`

// TestImportHelmKeepsHooks imports a Helm release with hooks: they are recorded, not run
// again (Helm ran its post-install hook), the test hook is left out without refusing the
// import, and shipsafe's uninstall runs the post-delete hook Helm recorded.
func TestImportHelmKeepsHooks(t *testing.T) {
	t.Parallel()
	e := setup(t)
	helm := helmBinary(t)
	img := e.image(t, "naive", "v1")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	helmInstall(t, ctx, e, helm, ns, img, importChart, importHooks)
	installed, err := e.client.CoreV1().ConfigMaps(ns).Get(ctx, "web-installed", metav1.GetOptions{})
	must(t, err)

	r := e.shipsafe(t, ctx, "-n", ns, "import-helm", "web")
	wantExit(t, r, 0)
	wantContains(t, "import output", r.stdout+r.stderr, "has 3 hooks: 2 recorded for rollback and uninstall, not run now", "1 test hooks left out")
	again, err := e.client.CoreV1().ConfigMaps(ns).Get(ctx, "web-installed", metav1.GetOptions{})
	must(t, err)
	if again.ResourceVersion != installed.ResourceVersion {
		t.Errorf("the post-install hook Helm ran was run again by the import (resourceVersion %s -> %s)", installed.ResourceVersion, again.ResourceVersion)
	}
	if e.exists(t, ctx, ns, "ConfigMap", "web-farewell") {
		t.Fatal("the post-delete hook exists before uninstall")
	}

	r = e.shipsafe(t, ctx, "-n", ns, "uninstall", "web")
	wantExit(t, r, 0)
	wantContains(t, "uninstall output", r.stdout, "post-delete hook ConfigMap "+ns+"/web-farewell")
	if e.exists(t, ctx, ns, "Deployment", "web") {
		t.Error("the imported Deployment is still there after uninstall")
	}
	wantConfig(t, ctx, e, ns, "web-farewell", map[string]string{"version": "h1"})
}

// podStates describes the pods matching selector by name, uid and restarts.
func podStates(t *testing.T, e *env, ns, selector string) string {
	t.Helper()
	pods, err := e.client.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, p := range pods.Items {
		restarts := int32(0)
		for _, c := range p.Status.ContainerStatuses {
			restarts += c.RestartCount
		}
		parts = append(parts, fmt.Sprintf("%s/%s/%d", p.Name, p.UID, restarts))
	}
	return strings.Join(parts, " ")
}

// secretNames lists the Secrets matching selector with their resource versions.
func secretNames(t *testing.T, e *env, ns, selector string) string {
	t.Helper()
	list, err := e.client.CoreV1().Secrets(ns).List(context.Background(), metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, s := range list.Items {
		parts = append(parts, s.Name+"@"+s.ResourceVersion)
	}
	return strings.Join(parts, " ")
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
