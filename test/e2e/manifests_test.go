package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
)

// workload describes one Deployment of a test app, optionally behind a Service of the
// same name. Pods answer GET / with Version.
type workload struct {
	Name     string
	Image    string
	Version  string
	Replicas int
	// ReadyAfter (slowstart only) delays readiness; the probe's failureThreshold is raised
	// past it so that the tracker sees a slow app, not a failing one.
	ReadyAfter int
	// Recreate replaces every pod at once instead of rolling.
	Recreate bool
	Service  bool
}

var manifestTemplates = template.Must(template.New("").Funcs(template.FuncMap{
	"add": func(a, b int) int { return a + b },
}).Parse(`
{{define "deployment"}}apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{.Name}}
spec:
  replicas: {{.Replicas}}
{{- if .Recreate}}
  strategy: {type: Recreate}
{{- end}}
  selector:
    matchLabels: {app: {{.Name}}}
  template:
    metadata:
      labels: {app: {{.Name}}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: app
        image: {{.Image}}
        imagePullPolicy: Never
        env:
        - {name: VERSION, value: "{{.Version}}"}
{{- if .ReadyAfter}}
        - {name: READY_AFTER, value: "{{.ReadyAfter}}"}
{{- end}}
        readinessProbe:
          httpGet: {path: /readyz, port: 8080}
          periodSeconds: 1
{{- if .ReadyAfter}}
          failureThreshold: {{add .ReadyAfter 30}}
{{- end}}
{{- if .Service}}
---
apiVersion: v1
kind: Service
metadata:
  name: {{.Name}}
spec:
  selector: {app: {{.Name}}}
  ports:
  - {port: 80, targetPort: 8080}
{{- end}}
{{end}}
{{define "configmap"}}apiVersion: v1
kind: ConfigMap
metadata:
  name: {{.Name}}
data:
{{- range $k, $v := .Data}}
  {{$k}}: "{{$v}}"
{{- end}}
{{end}}
`))

// yaml renders w as YAML (a Deployment, and its Service when w.Service).
func (w workload) yaml() string {
	if w.Replicas == 0 {
		w.Replicas = 1
	}
	var b strings.Builder
	if err := manifestTemplates.ExecuteTemplate(&b, "deployment", w); err != nil {
		panic(err) // the template is fixed; a failure is a bug in this file
	}
	return b.String()
}

// configMap renders a ConfigMap with data.
func configMap(name string, data map[string]string) string {
	var b strings.Builder
	err := manifestTemplates.ExecuteTemplate(&b, "configmap", struct {
		Name string
		Data map[string]string
	}{name, data})
	if err != nil {
		panic(err)
	}
	return b.String()
}

// configMaps renders n ConfigMaps named prefix-000, prefix-001, ...
func configMaps(prefix string, n int) []string {
	docs := make([]string, n)
	for i := range docs {
		docs[i] = configMap(fmt.Sprintf("%s-%03d", prefix, i), map[string]string{"index": fmt.Sprint(i)})
	}
	return docs
}

// writeManifest writes docs as one multi-document YAML file in a fresh temporary
// directory and returns its path.
func writeManifest(t *testing.T, docs ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "release.yaml")
	if err := os.WriteFile(p, []byte(strings.Join(docs, "\n---\n")), 0o644); err != nil {
		t.Fatalf("write manifest: %v", err)
	}
	return p
}
