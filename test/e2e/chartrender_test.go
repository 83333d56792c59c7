package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// versionedChart branches on .Capabilities.KubeVersion and .Capabilities.APIVersions, as
// public charts do to pick API versions, and has a CRD in crds/.
func versionedChart(t *testing.T) string {
	t.Helper()
	return writeChart(t, map[string]string{
		"Chart.yaml":  "apiVersion: v2\nname: versioned\nversion: 0.3.0\nkubeVersion: \">=1.25.0-0\"\n",
		"values.yaml": "replicas: 2\n",
		"templates/pdb.yaml": `{{- if semverCompare ">=1.30-0" .Capabilities.KubeVersion.Version }}
apiVersion: v1
kind: ConfigMap
metadata: {name: {{ .Release.Name }}-modern}
{{- else }}
apiVersion: v1
kind: ConfigMap
metadata: {name: {{ .Release.Name }}-legacy}
{{- end }}
data:
  kube: {{ .Capabilities.KubeVersion.Version | quote }}
  minor: {{ .Capabilities.KubeVersion.Minor | quote }}
  monitoring: {{ .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" | quote }}
  serviceMonitor: {{ .Capabilities.APIVersions.Has "monitoring.coreos.com/v1/ServiceMonitor" | quote }}
`,
		"crds/widgets.yaml": `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.versioned.example.com}
spec:
  group: versioned.example.com
  names: {kind: Widget, plural: widgets, singular: widget}
  scope: Namespaced
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}]
`,
	})
}

// TestRenderOfflineKubeVersionMatchesHelm renders a chart that branches on the
// Kubernetes and API versions with `render --offline --kube-version --api-versions` and
// with the Helm CLI's `helm template` and the same flags, and compares the objects; the
// same with --skip-crds (helm template without --include-crds).
func TestRenderOfflineKubeVersionMatchesHelm(t *testing.T) {
	t.Parallel()
	e := setup(t)
	helm := helmBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	chart := versionedChart(t)
	for _, tt := range []struct {
		name       string
		args       []string
		helmArgs   []string
		want       string
		wantObject string
	}{
		{"1.29 with monitoring", []string{"--kube-version", "1.29.0", "--api-versions", "monitoring.coreos.com/v1/ServiceMonitor,monitoring.coreos.com/v1"},
			[]string{"--kube-version", "1.29.0", "--api-versions", "monitoring.coreos.com/v1/ServiceMonitor", "-a", "monitoring.coreos.com/v1", "--include-crds"},
			`monitoring: "true"`, "ConfigMap/web-legacy"},
		{"1.31, no CRDs", []string{"--kube-version", "v1.31.2", "--skip-crds"}, []string{"--kube-version", "v1.31.2"}, `kube: v1.31.2`, "ConfigMap/web-modern"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := e.shipsafe(t, ctx, append([]string{"-n", "prod", "render", "web", "--chart", chart, "--offline"}, tt.args...)...)
			wantExit(t, r, 0)
			cmd := exec.CommandContext(ctx, helm, append([]string{"template", "web", chart, "-n", "prod"}, tt.helmArgs...)...)
			cmd.Env = append(os.Environ(), "HELM_CONFIG_HOME="+t.TempDir(), "HELM_CACHE_HOME="+t.TempDir(), "HELM_DATA_HOME="+t.TempDir())
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("helm template: %v\n%s", err, out)
			}
			ours, theirs := decodeAll(t, "shipsafe render", r.stdout), decodeAll(t, "helm template", string(out))
			compareObjectSets(t, ours, theirs)
			if ours[tt.wantObject] == nil {
				t.Errorf("no %s in the render: %v", tt.wantObject, sortedKeys(ours))
			}
			wantContains(t, "render", r.stdout, tt.want)
		})
	}
	r := e.shipsafe(t, ctx, "render", "web", "--chart", chart, "--offline", "--kube-version", "1.24.0")
	wantExit(t, r, 2)
	wantContains(t, "kubeVersion refusal", r.stderr, "requires kubeVersion >=1.25.0-0", "Kubernetes v1.24.0")
	r = e.shipsafe(t, ctx, "render", "web", "--chart", chart, "--offline", "--kube-version", "one.two")
	wantExit(t, r, 2)
	wantContains(t, "bad --kube-version", r.stderr, `--kube-version "one.two"`)
}

// TestPostRenderer deploys a chart through a --post-renderer executable that adds a
// label to every object and an object of its own: both reach the cluster.
func TestPostRenderer(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	script := filepath.Join(t.TempDir(), "post-render.sh")
	must(t, os.WriteFile(script, []byte(`#!/bin/sh
set -e
sed 's/^metadata:$/metadata:\n  labels: {post-rendered: "'"$1"'"}/'
printf -- '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: added-by-post-renderer\ndata: {from: script}\n'
`), 0o755))
	chart := writeChart(t, map[string]string{
		"Chart.yaml":         "apiVersion: v2\nname: post\nversion: 1.0.0\n",
		"templates/cm.yaml":  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata: {a: b}\n",
		"templates/cm2.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm2\ndata: {c: d}\n",
	})
	r := e.shipsafe(t, ctx, "-n", ns, "deploy", "app", "--chart", chart, "--post-renderer", script, "--post-renderer-args", "yes")
	wantExit(t, r, 0)
	wantConfig(t, ctx, e, ns, "added-by-post-renderer", map[string]string{"from": "script"})
	for _, name := range []string{"app-cm", "app-cm2"} {
		cm, err := e.client.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
		must(t, err)
		if cm.Labels["post-rendered"] != "yes" {
			t.Errorf("ConfigMap %s labels %v: the post-renderer's label is missing", name, cm.Labels)
		}
	}
	r = e.shipsafe(t, ctx, "-n", ns, "deploy", "app", "--chart", chart, "--post-renderer", filepath.Join(t.TempDir(), "missing"))
	wantExit(t, r, 2)
	wantContains(t, "missing post-renderer", r.stderr, "--post-renderer", "missing")
}

// TestStrictFailsOnWarnings: a Deployment behind a Service with no preStop hook is a
// lint warning; `lint --strict` and `deploy --strict` fail on it (exit 2, nothing
// deployed), as `helm lint --strict` fails on warnings; without --strict it passes.
func TestStrictFailsOnWarnings(t *testing.T) {
	t.Parallel()
	e := setup(t)
	naive := e.image(t, "naive", "e2e")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	manifest := writeManifest(t, `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: `+naive+`
        imagePullPolicy: Never
        ports: [{containerPort: 8080}]
        readinessProbe: {httpGet: {path: /readyz, port: 8080}, periodSeconds: 1}`,
		`apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]`)
	r := e.shipsafe(t, ctx, "lint", "-f", manifest)
	wantExit(t, r, 0)
	wantContains(t, "lint", r.stdout, "SS003", "warning")
	r = e.shipsafe(t, ctx, "lint", "--strict", "-f", manifest)
	wantExit(t, r, 2)
	wantContains(t, "lint --strict", r.stderr, "(--strict)")
	r = e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-f", manifest, "--strict")
	wantExit(t, r, 2)
	wantContains(t, "deploy --strict", r.stderr, "--strict is set; nothing was changed")
	if revs := e.records(t, ctx, ns); len(revs) != 0 || e.exists(t, ctx, ns, "Deployment", "web") {
		t.Errorf("deploy --strict changed the cluster: records %v", revs)
	}
}

// TestChartValuesSchemaRejectsBadValues: a chart with a values.schema.json, as public
// charts (podinfo) ship, refuses values that break it with exit 2 before anything is
// deployed, naming the value.
func TestChartValuesSchemaRejectsBadValues(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	chart := writeChart(t, map[string]string{
		"Chart.yaml":  "apiVersion: v2\nname: podinfo-like\nversion: 6.0.0\n",
		"values.yaml": "replicaCount: 1\nimage: {repository: ghcr.io/example/podinfo, tag: 6.0.0}\n",
		"values.schema.json": `{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
 "required": ["replicaCount", "image"],
 "properties": {
  "replicaCount": {"type": "integer", "minimum": 1},
  "image": {"type": "object", "required": ["repository"], "properties": {"repository": {"type": "string"}, "tag": {"type": "string"}}}}}`,
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: podinfo}\ndata: {replicas: \"{{ .Values.replicaCount }}\"}\n",
	})
	for _, tt := range []struct {
		set  string
		want string
	}{
		{"replicaCount=many", "replicaCount"},
		{"replicaCount=0", "minimum"},
		{"image.repository=null", "repository"},
	} {
		r := e.shipsafe(t, ctx, "-n", ns, "deploy", "podinfo", "--chart", chart, "--set", tt.set)
		wantExit(t, r, 2)
		wantContains(t, "--set "+tt.set, r.stderr, "values don't meet the specifications of the schema", tt.want)
	}
	if revs := e.records(t, ctx, ns); len(revs) != 0 {
		t.Errorf("refused deploys wrote records %v", revs)
	}
	wantExit(t, e.shipsafe(t, ctx, "-n", ns, "deploy", "podinfo", "--chart", chart, "--set", "replicaCount=2"), 0)
	wantConfig(t, ctx, e, ns, "podinfo", map[string]string{"replicas": "2"})
}
