package verify

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

func specObject(t *testing.T, doc string) *unstructured.Unstructured {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatalf("yaml: %v", err)
	}
	return &unstructured.Unstructured{Object: m}
}

const fullSpec = `
apiVersion: shipsafe.io/v1alpha1
kind: Verification
metadata: {name: web}
spec:
  for: 2m
  interval: 5s
  initialDelay: 6s
  prometheus: {url: "http://127.0.0.1:9090"}
  checks:
  - name: healthz
    failureLimit: 2
    duringRollout: true
    http:
      service: web
      port: 8080
      path: /healthz
      timeout: 1s
      expect: {status: 200, bodyContains: up, json: {path: status, equals: up}}
  - name: error-rate
    inconclusive: pass
    prometheus:
      query: sum(rate(errors[1m])) / sum(rate(requests[1m]))
      condition: "<= 0.01"
      baseline: {factor: 1.5}
  - name: smoke
    job:
      timeout: 30s
      spec:
        template:
          spec:
            containers: [{name: t, image: local.test/jobok:v1}]
`

func TestParseFull(t *testing.T) {
	t.Parallel()
	s, err := Parse(specObject(t, fullSpec))
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "web" || s.InitialDelay != 6*time.Second || s.For != 2*time.Minute || s.Interval != 5*time.Second || s.PrometheusURL != "http://127.0.0.1:9090" {
		t.Errorf("spec = %+v", s)
	}
	if len(s.Checks) != 3 {
		t.Fatalf("checks = %d, want 3", len(s.Checks))
	}
	h := s.Checks[0]
	if h.Type() != "http" || h.FailureLimit != 2 || h.Inconclusive != PolicyFail || h.HTTP.Port != "8080" ||
		h.HTTP.Scheme != "http" || h.HTTP.Timeout != time.Second || h.HTTP.Expect.JSON.Equals != "up" || !h.DuringRollout {
		t.Errorf("http check = %+v %+v", h, h.HTTP)
	}
	p := s.Checks[1]
	if p.Type() != "prometheus" || p.Inconclusive != PolicyPass || p.Prometheus.Condition != (Condition{"<=", 0.01}) || p.Prometheus.BaselineFactor != 1.5 {
		t.Errorf("prometheus check = %+v %+v", p, p.Prometheus)
	}
	j := s.Checks[2]
	if j.Type() != "job" || j.Job.Timeout != 30*time.Second || j.Job.Spec.Template.Spec.Containers[0].Image != "local.test/jobok:v1" {
		t.Errorf("job check = %+v", j.Job)
	}
	if NeedsPrometheus(s) {
		t.Error("NeedsPrometheus: the spec names a Prometheus")
	}
	if got := s.RolloutChecks(); len(got) != 1 || got[0] != "healthz" || s.Checks[1].DuringRollout {
		t.Errorf("RolloutChecks = %v, want [healthz]", got)
	}
}

func TestParseDefaults(t *testing.T) {
	t.Parallel()
	s, err := Parse(specObject(t, `
apiVersion: shipsafe.io/v1alpha1
kind: Verification
metadata: {name: v}
spec:
  for: 0s
  checks:
  - name: home
    http: {service: web, path: /}
  - name: q
    prometheus: {query: up, condition: "> 0"}
`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Interval != DefaultInterval || s.Checks[0].HTTP.Expect.Status != 200 || s.Checks[0].HTTP.Timeout != DefaultHTTPTimeout {
		t.Errorf("defaults not applied: %+v %+v", s, s.Checks[0].HTTP)
	}
	if !NeedsPrometheus(s) {
		t.Error("NeedsPrometheus: a query with no URL anywhere needs --prometheus-url")
	}
}

func TestParsePrometheusService(t *testing.T) {
	t.Parallel()
	s, err := Parse(specObject(t, `apiVersion: shipsafe.io/v1alpha1
kind: Verification
metadata: {name: v}
spec: {for: 1m, prometheus: {service: {namespace: mon, name: prometheus, port: 9090}}, checks: [{name: a, prometheus: {query: up, condition: "> 0"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := (ServiceRef{Namespace: "mon", Name: "prometheus", Port: "9090"}); s.PrometheusService == nil || *s.PrometheusService != want {
		t.Errorf("PrometheusService = %+v, want %+v", s.PrometheusService, want)
	}
	if NeedsPrometheus(s) {
		t.Error("NeedsPrometheus: the spec's Service is a Prometheus")
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct{ doc, want string }{
		"version": {`apiVersion: shipsafe.io/v9
kind: Verification
metadata: {name: v}
spec: {for: 1m, checks: [{name: a, http: {service: s, path: /}}]}`, `apiVersion "shipsafe.io/v9" is not known`},
		"unknown field": {`apiVersion: shipsafe.io/v1alpha1
kind: Verification
metadata: {name: v}
spec: {for: 1m, windw: 2m, checks: [{name: a, http: {service: s, path: /}}]}`, `unknown field "windw"`},
		"no window": {`apiVersion: shipsafe.io/v1alpha1
kind: Verification
metadata: {name: v}
spec: {checks: [{name: a, http: {service: s, path: /}}]}`, "spec.for: missing"},
		"bad interval": {`apiVersion: shipsafe.io/v1alpha1
kind: Verification
metadata: {name: v}
spec: {for: 1m, interval: 10ms, checks: [{name: a, http: {service: s, path: /}}]}`, "spec.interval"},
		"no checks": {`apiVersion: shipsafe.io/v1alpha1
kind: Verification
metadata: {name: v}
spec: {for: 1m}`, "spec.checks: none"},
		"two kinds": {`apiVersion: shipsafe.io/v1alpha1
kind: Verification
metadata: {name: v}
spec: {for: 1m, checks: [{name: a, http: {service: s, path: /}, prometheus: {query: up, condition: "> 0"}}]}`, "exactly one of http, prometheus and job"},
		"duplicate": {`apiVersion: shipsafe.io/v1alpha1
kind: Verification
metadata: {name: v}
spec: {for: 1m, checks: [{name: a, http: {service: s, path: /}}, {name: a, http: {service: s, path: /x}}]}`, `name "a" is used twice`},
		"condition": {`apiVersion: shipsafe.io/v1alpha1
kind: Verification
metadata: {name: v}
spec: {for: 1m, checks: [{name: a, prometheus: {query: up, condition: "about 3"}}]}`, "condition"},
		"baseline with ==": {`apiVersion: shipsafe.io/v1alpha1
kind: Verification
metadata: {name: v}
spec: {for: 1m, checks: [{name: a, prometheus: {query: up, condition: "== 1", baseline: {factor: 2}}}]}`, "relative threshold needs"},
		"policy": {`apiVersion: shipsafe.io/v1alpha1
kind: Verification
metadata: {name: v}
spec: {for: 1m, checks: [{name: a, inconclusive: ignore, http: {service: s, path: /}}]}`, `inconclusive: "ignore"`},
		"path": {`apiVersion: shipsafe.io/v1alpha1
kind: Verification
metadata: {name: v}
spec: {for: 1m, checks: [{name: a, http: {service: s, path: healthz}}]}`, "starting with /"},
		"job without containers": {`apiVersion: shipsafe.io/v1alpha1
kind: Verification
metadata: {name: v}
spec: {for: 1m, checks: [{name: a, job: {spec: {template: {spec: {}}}}}]}`, "a Job needs a container"},
		"prometheus service without name": {`apiVersion: shipsafe.io/v1alpha1
kind: Verification
metadata: {name: v}
spec: {for: 1m, prometheus: {service: {port: 9090}}, checks: [{name: a, prometheus: {query: up, condition: "> 0"}}]}`, "spec.prometheus.service.name: missing"},
		"job during the rollout": {`apiVersion: shipsafe.io/v1alpha1
kind: Verification
metadata: {name: v}
spec: {for: 1m, checks: [{name: a, duringRollout: true, job: {spec: {template: {spec: {containers: [{name: t, image: x}]}}}}}]}`, "duringRollout applies to http and prometheus checks"},
		"bad name": {`apiVersion: shipsafe.io/v1alpha1
kind: Verification
metadata: {name: v}
spec: {for: 1m, checks: [{name: Bad_Name, http: {service: s, path: /}}]}`, "lowercase letters"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(specObject(t, tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse error = %v, want it to contain %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), `Verification "v"`) {
				t.Errorf("error %q does not name the object", err)
			}
		})
	}
}

func TestJobName(t *testing.T) {
	t.Parallel()
	if got := JobName("web", "smoke"); got != "web-verify-smoke" {
		t.Errorf("JobName = %q", got)
	}
	long := JobName(strings.Repeat("r", 53), strings.Repeat("c", 40))
	if len(long) > 63 || long == JobName(strings.Repeat("r", 53), strings.Repeat("c", 39)+"d") {
		t.Errorf("long JobName %q: want at most 63 characters and distinct per check", long)
	}
}
