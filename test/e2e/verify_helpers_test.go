package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
)

// metricsApp is the metrics test app as Deployment and Service "web" (port 80 to 8080),
// its pods annotated for the test Prometheus.
type metricsApp struct {
	Image     string
	Version   string
	Replicas  int
	ErrorRate string
	// HealthzStatus is the status of GET /healthz (0: 200).
	HealthzStatus int
	// SelfLoad is requests per second each pod sends itself (0: none).
	SelfLoad int
	// MinReadySeconds slows the rollout: each new pod counts as available only this
	// long after it is ready, while it already serves (0: none).
	MinReadySeconds int
}

var metricsTemplate = template.Must(template.New("").Parse(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: {{.Replicas}}
{{- if .MinReadySeconds}}
  minReadySeconds: {{.MinReadySeconds}}
  strategy:
    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
{{- end}}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
      annotations: {prometheus.io/scrape: "true"}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: app
        image: {{.Image}}
        imagePullPolicy: Never
        env:
        - {name: VERSION, value: "{{.Version}}"}
        - {name: ERROR_RATE, value: "{{.ErrorRate}}"}
        - {name: HEALTHZ_STATUS, value: "{{.HealthzStatus}}"}
        - {name: SELF_LOAD, value: "{{.SelfLoad}}"}
        readinessProbe:
          httpGet: {path: /readyz, port: 8080}
          periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 8080}
`))

func (m metricsApp) yaml() string {
	if m.Replicas == 0 {
		m.Replicas = 1
	}
	if m.ErrorRate == "" {
		m.ErrorRate = "0"
	}
	if m.HealthzStatus == 0 {
		m.HealthzStatus = 200
	}
	var b strings.Builder
	if err := metricsTemplate.Execute(&b, m); err != nil {
		panic(err)
	}
	return b.String()
}

// verification renders a Verification with the window and the checks given as YAML
// list items (indented by two spaces).
func verification(initialDelay, window, interval string, checks ...string) string {
	return fmt.Sprintf(`apiVersion: shipsafe.io/v1alpha1
kind: Verification
metadata:
  name: web
spec:
  initialDelay: %s
  for: %s
  interval: %s
  checks:
%s`, initialDelay, window, interval, strings.Join(checks, "\n"))
}

// healthzCheck is an http check of GET /healthz on Service web: status 200 and
// {"status": "up"}.
const healthzCheck = `  - name: healthz
    http:
      service: web
      port: http
      path: /healthz
      expect: {status: 200, json: {path: status, equals: up}}`

// duringRollout marks a check (one of healthzCheck, errorRateCheck) to be sampled
// during the rollout too.
func duringRollout(check string) string {
	name, rest, _ := strings.Cut(check, "\n")
	return name + "\n    duringRollout: true\n" + rest
}

// errorRateCheck is a prometheus check of web's share of 500 answers in ns.
func errorRateCheck(ns, condition, policy, baseline string) string {
	s := fmt.Sprintf(`  - name: error-rate
    inconclusive: %s
    prometheus:
      query: sum(rate(http_requests_total{namespace="%s",code="500"}[6s])) / sum(rate(http_requests_total{namespace="%s"}[6s]))
      condition: "%s"`, policy, ns, ns, condition)
	if baseline != "" {
		s += "\n      baseline: {factor: " + baseline + "}"
	}
	return s
}

// jobCheck is a job check running image with VERSION set.
func jobCheck(image, version string) string {
	return fmt.Sprintf(`  - name: smoke
    job:
      timeout: 1m
      spec:
        template:
          spec:
            containers:
            - name: smoke
              image: %s
              imagePullPolicy: Never
              env: [{name: VERSION, value: "%s"}, {name: STEP, value: smoke-test}]`, image, version)
}

// writeFile writes body to dir/name, making its directories.
func writeFile(t *testing.T, dir, name, body string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}
