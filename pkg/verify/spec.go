package verify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The kind of the spec in a release's sources.
const (
	Group      = "shipsafe.io"
	APIVersion = "shipsafe.io/v1alpha1"
	Kind       = "Verification"
)

// Defaults and bounds of a Spec.
const (
	DefaultInterval    = 10 * time.Second
	DefaultHTTPTimeout = 5 * time.Second
	DefaultJobTimeout  = 5 * time.Minute
	MaxWindow          = time.Hour
	MinInterval        = time.Second
)

// Policy says what an inconclusive sample counts as.
type Policy string

const (
	// PolicyFail (the default) counts an inconclusive sample as a failed one.
	PolicyFail Policy = "fail"
	// PolicyPass counts it as passed, and says so in a warning and in the verdict.
	PolicyPass Policy = "pass"
)

// Spec is a parsed Verification: checks sampled every Interval for the window For after
// every object of the release is ready, and those marked DuringRollout also while the
// objects are being rolled out.
type Spec struct {
	// Name is the Verification object's name.
	Name string
	// InitialDelay is waited after the release is ready, before the first sample, so
	// that rates over the previous version's pods have aged out.
	InitialDelay time.Duration
	For          time.Duration
	Interval     time.Duration
	Checks       []Check
	// PrometheusURL is spec.prometheus.url, the default Prometheus of its checks; a
	// --prometheus-url flag overrides it.
	PrometheusURL string
	// PrometheusService is spec.prometheus.service: a Service in the cluster serving
	// Prometheus, reached through the API server's proxy when no URL is given.
	PrometheusService *ServiceRef
}

// Check is one named check; exactly one of HTTP, Prometheus and Job is set.
type Check struct {
	Name string
	// FailureLimit is how many failed samples are tolerated; one more fails the check.
	// Failed samples taken during the rollout count against it too.
	FailureLimit int
	Inconclusive Policy
	// DuringRollout (http and prometheus checks) samples the check every Interval while
	// the release's objects are rolled out, before they are all ready, too: a breach
	// then fails the deploy at once. An inconclusive sample then is not counted,
	// whatever the Policy (new pods may not be reachable or scraped yet).
	DuringRollout bool
	HTTP          *HTTPCheck
	Prometheus    *PrometheusCheck
	Job           *JobCheck
}

// Type names the check's kind: "http", "prometheus" or "job".
func (c Check) Type() string {
	switch {
	case c.HTTP != nil:
		return "http"
	case c.Prometheus != nil:
		return "prometheus"
	case c.Job != nil:
		return "job"
	}
	return "unknown"
}

// HTTPCheck GETs Path on a Service of the release through the API server's service proxy.
type HTTPCheck struct {
	Service string `json:"service"`
	// Port is the Service port's name or number; empty: the Service's only port.
	Port    string `json:"port,omitempty"`
	Scheme  string `json:"scheme,omitempty"`
	Path    string `json:"path"`
	Timeout time.Duration
	Expect  Expect
}

// Expect is what an HTTP answer must be; every field given must hold.
type Expect struct {
	// Status is the wanted status code (default 200).
	Status int `json:"status,omitempty"`
	// BodyContains must be a substring of the body.
	BodyContains string `json:"bodyContains,omitempty"`
	// JSON names a field of a JSON body and its wanted value.
	JSON *JSONField `json:"json,omitempty"`
}

// JSONField is a dotted path into a JSON body ("status", "checks.db") and the value it
// must have, compared as text ("up", "true", "3").
type JSONField struct {
	Path   string `json:"path"`
	Equals string `json:"equals"`
}

// PrometheusCheck runs Query and judges every series of its result by Condition.
type PrometheusCheck struct {
	Query     string
	Condition Condition
	// BaselineFactor, when above 0, makes the threshold relative: see Condition.Threshold.
	BaselineFactor float64
	// URL is this check's Prometheus; empty: the spec's or the --prometheus-url flag's.
	URL string
}

// JobCheck runs a Job and requires it to complete within Timeout.
type JobCheck struct {
	Spec    batchv1.JobSpec
	Timeout time.Duration
}

// RolloutChecks returns the names of the checks sampled during the rollout.
func (s *Spec) RolloutChecks() []string {
	var out []string
	for _, c := range s.Checks {
		if c.DuringRollout {
			out = append(out, c.Name)
		}
	}
	return out
}

// IsSpec reports whether obj is a Verification (of any version of shipsafe.io).
func IsSpec(obj *unstructured.Unstructured) bool {
	gvk := obj.GroupVersionKind()
	return gvk.Group == Group && gvk.Kind == Kind
}

// GVK is the group, version and kind of a Verification.
var GVK = schema.GroupVersionKind{Group: Group, Version: "v1alpha1", Kind: Kind}

// rawSpec is the wire form of spec.
type rawSpec struct {
	For          string `json:"for"`
	Interval     string `json:"interval,omitempty"`
	InitialDelay string `json:"initialDelay,omitempty"`
	Prometheus   *struct {
		URL     string      `json:"url,omitempty"`
		Service *rawService `json:"service,omitempty"`
	} `json:"prometheus,omitempty"`
	Checks []rawCheck `json:"checks"`
}

type rawService struct {
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	Port      any    `json:"port,omitempty"`
}

type rawCheck struct {
	Name          string         `json:"name"`
	FailureLimit  int            `json:"failureLimit,omitempty"`
	Inconclusive  Policy         `json:"inconclusive,omitempty"`
	DuringRollout bool           `json:"duringRollout,omitempty"`
	HTTP          *rawHTTP       `json:"http,omitempty"`
	Prometheus    *rawPrometheus `json:"prometheus,omitempty"`
	Job           *rawJob        `json:"job,omitempty"`
}

type rawHTTP struct {
	Service string  `json:"service"`
	Port    any     `json:"port,omitempty"`
	Scheme  string  `json:"scheme,omitempty"`
	Path    string  `json:"path"`
	Timeout string  `json:"timeout,omitempty"`
	Expect  *Expect `json:"expect,omitempty"`
}

type rawPrometheus struct {
	Query     string `json:"query"`
	Condition string `json:"condition"`
	Baseline  *struct {
		Factor float64 `json:"factor"`
	} `json:"baseline,omitempty"`
	URL string `json:"url,omitempty"`
}

type rawJob struct {
	Spec    json.RawMessage `json:"spec"`
	Timeout string          `json:"timeout,omitempty"`
}

// Parse reads a Verification object. Every mistake is reported at once, each naming the
// object and the field, so the deploy can stop (exit 2) before anything changes.
func Parse(obj *unstructured.Unstructured) (*Spec, error) {
	name := obj.GetName()
	what := fmt.Sprintf("%s %q", Kind, name)
	if obj.GetAPIVersion() != APIVersion {
		return nil, fmt.Errorf("%s: apiVersion %q is not known; use %s", what, obj.GetAPIVersion(), APIVersion)
	}
	body, err := json.Marshal(obj.Object["spec"])
	if err != nil {
		return nil, fmt.Errorf("%s: spec: %w", what, err)
	}
	var raw rawSpec
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%s: spec: %w (see the Verification schema in the README)", what, err)
	}
	spec, errs := raw.convert()
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s: %w", what, errors.Join(errs...))
	}
	spec.Name = name
	return spec, nil
}

func (r *rawSpec) convert() (*Spec, []error) {
	var errs []error
	s := &Spec{Interval: DefaultInterval}
	if r.For == "" {
		errs = append(errs, errors.New("spec.for: missing; how long to verify after the release is ready, e.g. \"2m\""))
	} else if d, err := time.ParseDuration(r.For); err != nil || d < 0 || d > MaxWindow {
		errs = append(errs, fmt.Errorf("spec.for: %q: want a duration from 0s to %s, e.g. \"2m\"", r.For, MaxWindow))
	} else {
		s.For = d
	}
	if r.Interval != "" {
		if d, err := time.ParseDuration(r.Interval); err != nil || d < MinInterval {
			errs = append(errs, fmt.Errorf("spec.interval: %q: want a duration of at least %s, e.g. \"10s\"", r.Interval, MinInterval))
		} else {
			s.Interval = d
		}
	}
	if r.InitialDelay != "" {
		if d, err := time.ParseDuration(r.InitialDelay); err != nil || d < 0 || d > MaxWindow {
			errs = append(errs, fmt.Errorf("spec.initialDelay: %q: want a duration from 0s to %s, e.g. \"30s\"", r.InitialDelay, MaxWindow))
		} else {
			s.InitialDelay = d
		}
	}
	if r.Prometheus != nil {
		s.PrometheusURL = r.Prometheus.URL
		if rs := r.Prometheus.Service; rs != nil {
			ref, err := rs.convert("spec.prometheus.service")
			if err != nil {
				errs = append(errs, err)
			}
			s.PrometheusService = &ref
		}
	}
	if len(r.Checks) == 0 {
		errs = append(errs, errors.New("spec.checks: none; give at least one http, prometheus or job check"))
	}
	seen := map[string]bool{}
	for i, rc := range r.Checks {
		c, cerrs := rc.convert(fmt.Sprintf("spec.checks[%d]", i))
		errs = append(errs, cerrs...)
		if seen[c.Name] {
			errs = append(errs, fmt.Errorf("spec.checks[%d]: name %q is used twice; names must be unique", i, c.Name))
		}
		seen[c.Name] = true
		s.Checks = append(s.Checks, c)
	}
	return s, errs
}

func (r *rawService) convert(at string) (ServiceRef, error) {
	ref := ServiceRef{Namespace: r.Namespace, Name: r.Name}
	switch p := r.Port.(type) {
	case nil:
	case string:
		ref.Port = p
	case float64:
		if p != float64(int(p)) || p < 1 || p > 65535 {
			return ref, fmt.Errorf("%s.port: %v: want a port number or name", at, p)
		}
		ref.Port = fmt.Sprint(int(p))
	default:
		return ref, fmt.Errorf("%s.port: %v: want a port number or name", at, p)
	}
	if r.Name == "" {
		return ref, fmt.Errorf("%s.name: missing; name the Service that serves Prometheus", at)
	}
	return ref, nil
}

func (r *rawCheck) convert(at string) (Check, []error) {
	var errs []error
	c := Check{Name: r.Name, FailureLimit: r.FailureLimit, Inconclusive: r.Inconclusive, DuringRollout: r.DuringRollout}
	if !validName(r.Name) {
		errs = append(errs, fmt.Errorf("%s.name: %q: want lowercase letters, digits and '-', at most 40", at, r.Name))
	}
	at = fmt.Sprintf("%s (%s)", at, r.Name)
	if r.FailureLimit < 0 {
		errs = append(errs, fmt.Errorf("%s.failureLimit: %d: want 0 or more", at, r.FailureLimit))
	}
	switch r.Inconclusive {
	case "":
		c.Inconclusive = PolicyFail
	case PolicyFail, PolicyPass:
	default:
		errs = append(errs, fmt.Errorf("%s.inconclusive: %q: want fail (the default) or pass", at, r.Inconclusive))
	}
	kinds := 0
	if r.HTTP != nil {
		kinds++
		h, herrs := r.HTTP.convert(at + ".http")
		c.HTTP, errs = h, append(errs, herrs...)
	}
	if r.Prometheus != nil {
		kinds++
		p, perrs := r.Prometheus.convert(at + ".prometheus")
		c.Prometheus, errs = p, append(errs, perrs...)
	}
	if r.Job != nil {
		kinds++
		j, jerrs := r.Job.convert(at + ".job")
		c.Job, errs = j, append(errs, jerrs...)
	}
	if kinds != 1 {
		errs = append(errs, fmt.Errorf("%s: give exactly one of http, prometheus and job (got %d)", at, kinds))
	}
	if r.DuringRollout && r.Job != nil {
		errs = append(errs, fmt.Errorf("%s.duringRollout: a job check runs once, after the release is ready; duringRollout applies to http and prometheus checks", at))
	}
	return c, errs
}

func (r *rawHTTP) convert(at string) (*HTTPCheck, []error) {
	var errs []error
	h := &HTTPCheck{Service: r.Service, Scheme: r.Scheme, Path: r.Path, Timeout: DefaultHTTPTimeout}
	if r.Service == "" {
		errs = append(errs, fmt.Errorf("%s.service: missing; name a Service of the release", at))
	}
	switch p := r.Port.(type) {
	case nil:
	case string:
		h.Port = p
	case float64:
		if p != float64(int(p)) || p < 1 || p > 65535 {
			errs = append(errs, fmt.Errorf("%s.port: %v: want a port number or name", at, p))
		}
		h.Port = fmt.Sprint(int(p))
	default:
		errs = append(errs, fmt.Errorf("%s.port: %v: want a port number or name", at, p))
	}
	switch r.Scheme {
	case "":
		h.Scheme = "http"
	case "http", "https":
	default:
		errs = append(errs, fmt.Errorf("%s.scheme: %q: want http or https", at, r.Scheme))
	}
	if len(r.Path) == 0 || r.Path[0] != '/' {
		errs = append(errs, fmt.Errorf("%s.path: %q: want a path starting with /", at, r.Path))
	}
	if r.Timeout != "" {
		if d, err := time.ParseDuration(r.Timeout); err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s.timeout: %q: want a positive duration", at, r.Timeout))
		} else {
			h.Timeout = d
		}
	}
	if r.Expect != nil {
		h.Expect = *r.Expect
	}
	if h.Expect.Status == 0 {
		h.Expect.Status = 200
	}
	if h.Expect.Status < 100 || h.Expect.Status > 599 {
		errs = append(errs, fmt.Errorf("%s.expect.status: %d: want an HTTP status code", at, h.Expect.Status))
	}
	if j := h.Expect.JSON; j != nil && j.Path == "" {
		errs = append(errs, fmt.Errorf("%s.expect.json.path: missing; name the field, e.g. \"status\"", at))
	}
	return h, errs
}

func (r *rawPrometheus) convert(at string) (*PrometheusCheck, []error) {
	var errs []error
	p := &PrometheusCheck{Query: r.Query, URL: r.URL}
	if r.Query == "" {
		errs = append(errs, fmt.Errorf("%s.query: missing; give a PromQL query", at))
	}
	cond, err := ParseCondition(r.Condition)
	if err != nil {
		errs = append(errs, fmt.Errorf("%s.condition: %w", at, err))
	}
	p.Condition = cond
	if r.Baseline != nil {
		switch {
		case r.Baseline.Factor <= 0:
			errs = append(errs, fmt.Errorf("%s.baseline.factor: %v: want a positive number, e.g. 1.5", at, r.Baseline.Factor))
		case err == nil && (cond.Op == "==" || cond.Op == "!="):
			errs = append(errs, fmt.Errorf("%s.baseline: a relative threshold needs a condition with <, <=, > or >=, not %s", at, cond.Op))
		}
		p.BaselineFactor = r.Baseline.Factor
	}
	return p, errs
}

func (r *rawJob) convert(at string) (*JobCheck, []error) {
	var errs []error
	j := &JobCheck{Timeout: DefaultJobTimeout}
	if len(r.Spec) == 0 {
		return j, []error{fmt.Errorf("%s.spec: missing; give a batch/v1 Job spec with a pod template", at)}
	}
	dec := json.NewDecoder(bytes.NewReader(r.Spec))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j.Spec); err != nil {
		errs = append(errs, fmt.Errorf("%s.spec: %w", at, err))
	} else if len(j.Spec.Template.Spec.Containers) == 0 {
		errs = append(errs, fmt.Errorf("%s.spec.template.spec.containers: none; a Job needs a container", at))
	}
	if r.Timeout != "" {
		if d, err := time.ParseDuration(r.Timeout); err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s.timeout: %q: want a positive duration", at, r.Timeout))
		} else {
			j.Timeout = d
		}
	}
	return j, errs
}

// validName reports whether s is a short DNS label: it becomes part of a Job's name.
func validName(s string) bool {
	if s == "" || len(s) > 40 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}
