package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// httpProber GETs a path of a Service through the API server's service proxy
// (/api/v1/namespaces/NS/services/SCHEME:NAME:PORT/proxy/PATH), so it works from any
// machine that reaches the API server, with no network path to the pods.
type httpProber struct {
	name      string
	check     *HTTPCheck
	namespace string
	typed     kubernetes.Interface
	now       func() time.Time
}

func (p *httpProber) query() string {
	return fmt.Sprintf("GET %s via the API server's proxy to service %s", p.check.Path, p.serviceRef())
}

// serviceRef is the proxy's name of the Service: [scheme:]name[:port].
func (p *httpProber) serviceRef() string {
	ref := p.check.Service
	if p.check.Port != "" {
		ref += ":" + p.check.Port
	}
	if p.check.Scheme != "http" {
		ref = p.check.Scheme + ":" + ref
	}
	return ref
}

func (p *httpProber) probe(ctx context.Context) Sample {
	ctx, cancel := context.WithTimeout(ctx, p.check.Timeout)
	defer cancel()
	res := p.typed.CoreV1().RESTClient().Get().
		Namespace(p.namespace).Resource("services").Name(p.serviceRef()).
		SubResource("proxy").Suffix(p.check.Path).Do(ctx)
	var code int
	res.StatusCode(&code)
	body, err := res.Raw()
	s := Sample{Check: p.name, Time: p.now(), Threshold: p.check.Expect.String()}
	if code == 0 {
		s.Outcome, s.Detail = Inconclusive, fmt.Sprintf("no answer through the API server's proxy: %v", err)
		return s
	}
	s.Value = fmt.Sprintf("status %d", code)
	if msg, ok := proxyError(code, body); ok {
		s.Outcome, s.Detail = Inconclusive, "the API server's proxy answered: "+msg
		return s
	}
	s.Outcome, s.Detail = judgeHTTP(p.check.Expect, code, body)
	return s
}

// proxyError reports whether an error answer came from the API server (a Kubernetes
// Status: no endpoints, cannot reach the pod) rather than from the application.
func proxyError(code int, body []byte) (string, bool) {
	if code < 500 {
		return "", false
	}
	var st metav1.Status
	if json.Unmarshal(body, &st) != nil || st.Kind != "Status" || st.APIVersion != "v1" {
		return "", false
	}
	return st.Message, true
}

// judgeHTTP decides an answer against expect.
func judgeHTTP(expect Expect, code int, body []byte) (Outcome, string) {
	if code != expect.Status {
		return Fail, fmt.Sprintf("status %d, want %d; body: %s", code, expect.Status, excerpt(body))
	}
	if expect.BodyContains != "" && !bytes.Contains(body, []byte(expect.BodyContains)) {
		return Fail, fmt.Sprintf("body does not contain %q; body: %s", expect.BodyContains, excerpt(body))
	}
	if f := expect.JSON; f != nil {
		got, err := jsonField(body, f.Path)
		if err != nil {
			return Fail, fmt.Sprintf("json %s: %v; body: %s", f.Path, err, excerpt(body))
		}
		if got != f.Equals {
			return Fail, fmt.Sprintf("json %s is %q, want %q", f.Path, got, f.Equals)
		}
	}
	return Pass, ""
}

// String renders what is expected, e.g. `status 200, json status == "up"`.
func (e Expect) String() string {
	s := fmt.Sprintf("status %d", e.Status)
	if e.BodyContains != "" {
		s += fmt.Sprintf(", body contains %q", e.BodyContains)
	}
	if e.JSON != nil {
		s += fmt.Sprintf(", json %s == %q", e.JSON.Path, e.JSON.Equals)
	}
	return s
}

// jsonField returns the field at a dotted path of a JSON object as text: a string as it
// is, anything else as its JSON.
func jsonField(body []byte, path string) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", fmt.Errorf("the body is not JSON (%v)", err)
	}
	for _, key := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return "", fmt.Errorf("no field %q: its parent is not an object", key)
		}
		if v, ok = m[key]; !ok {
			return "", fmt.Errorf("no field %q", key)
		}
	}
	if s, ok := v.(string); ok {
		return s, nil
	}
	b, _ := json.Marshal(v)
	return string(b), nil
}

// excerpt returns the start of a body on one line.
func excerpt(body []byte) string {
	s := strings.Join(strings.Fields(string(body)), " ")
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	if s == "" {
		return "(empty)"
	}
	return s
}
