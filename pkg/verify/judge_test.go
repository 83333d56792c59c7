package verify

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestCondition(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cond string
		v    float64
		want bool
	}{
		{"< 0.01", 0.005, true}, {"< 0.01", 0.01, false}, {"<=0.01", 0.01, true},
		{"> 0.95", 0.99, true}, {">= 0.95", 0.9, false}, {"== 1", 1, true}, {"!= 1", 1, false},
		{"< 1", math.NaN(), false},
	} {
		c, err := ParseCondition(tc.cond)
		if err != nil {
			t.Fatalf("%q: %v", tc.cond, err)
		}
		if got := c.Holds(tc.v); got != tc.want {
			t.Errorf("%q holds for %v = %v, want %v", tc.cond, tc.v, got, tc.want)
		}
	}
	for _, bad := range []string{"", "0.01", "< x", "=< 1", "< NaN"} {
		if _, err := ParseCondition(bad); err == nil {
			t.Errorf("ParseCondition(%q): no error", bad)
		}
	}
}

func TestThreshold(t *testing.T) {
	t.Parallel()
	b := func(v float64) *float64 { return &v }
	upper := Condition{"<=", 0.01}
	for _, tc := range []struct {
		name     string
		c        Condition
		factor   float64
		baseline *float64
		want     Condition
	}{
		{"no factor", upper, 0, b(0.2), upper},
		{"no baseline", upper, 1.5, nil, upper},
		{"baseline below the floor", upper, 1.5, b(0.002), upper},
		{"baseline above the floor", upper, 1.5, b(0.1), Condition{"<=", 0.15000000000000002}},
		{"lower bound", Condition{">=", 0.99}, 0.9, b(0.5), Condition{">=", 0.45}},
	} {
		if got := tc.c.Threshold(tc.factor, tc.baseline); got != tc.want {
			t.Errorf("%s: threshold = %v, want %v", tc.name, got, tc.want)
		}
	}
	// The example: a version at the baseline's rate passes, one at 3x fails.
	th := upper.Threshold(1.5, b(0.1))
	if !th.Holds(0.1) || th.Holds(0.3) {
		t.Errorf("threshold %v: want 0.1 to pass and 0.3 to fail", th)
	}
}

func TestJudgeHTTP(t *testing.T) {
	t.Parallel()
	exp := Expect{Status: 200, BodyContains: "up", JSON: &JSONField{Path: "checks.db", Equals: "true"}}
	for _, tc := range []struct {
		name string
		code int
		body string
		want Outcome
		msg  string
	}{
		{"good", 200, `{"status":"up","checks":{"db":true}}`, Pass, ""},
		{"status", 503, `down`, Fail, "status 503, want 200"},
		{"body", 200, `{"status":"ok","checks":{"db":true}}`, Fail, `body does not contain "up"`},
		{"field", 200, `{"status":"up","checks":{"db":false}}`, Fail, `json checks.db is "false", want "true"`},
		{"missing", 200, `{"status":"up"}`, Fail, `no field "checks"`},
		{"not json", 200, `up and running`, Fail, "not JSON"},
	} {
		got, msg := judgeHTTP(exp, tc.code, []byte(tc.body))
		if got != tc.want || !strings.Contains(msg, tc.msg) {
			t.Errorf("%s: judged %s %q, want %s containing %q", tc.name, got, msg, tc.want, tc.msg)
		}
	}
}

func TestProxyError(t *testing.T) {
	t.Parallel()
	status := `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"no endpoints available for service \"web\"","reason":"ServiceUnavailable","code":503}`
	if msg, ok := proxyError(503, []byte(status)); !ok || !strings.Contains(msg, "no endpoints") {
		t.Errorf("proxyError(Status) = %q %v, want the API server's message", msg, ok)
	}
	if _, ok := proxyError(503, []byte("app says no")); ok {
		t.Error("an application's 503 was taken for a proxy error")
	}
	if _, ok := proxyError(404, []byte(status)); ok {
		t.Error("a 404 was taken for a proxy error")
	}
}

func TestJudgeSeries(t *testing.T) {
	t.Parallel()
	cond := Condition{"<", 0.05}
	for _, tc := range []struct {
		name  string
		ss    []series
		want  Outcome
		value string
	}{
		{"none", nil, Inconclusive, ""},
		{"good", []series{{value: 0.01}}, Pass, "0.01"},
		{"bad", []series{{value: 0.2}}, Fail, "0.2"},
		{"nan", []series{{value: math.NaN()}}, Inconclusive, "NaN"},
		{"one bad of two", []series{{labels: `{pod="a"}`, value: 0.01}, {labels: `{pod="b"}`, value: 0.3}}, Fail, `0.3 {pod="b"}`},
		{"bad beats nan", []series{{labels: `{pod="a"}`, value: math.NaN()}, {labels: `{pod="b"}`, value: 0.3}}, Fail, `0.3 {pod="b"}`},
	} {
		got, value, _ := judgeSeries(tc.ss, cond)
		if got != tc.want || value != tc.value {
			t.Errorf("%s: %s %q, want %s %q", tc.name, got, value, tc.want, tc.value)
		}
	}
}

func TestTally(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	sample := func(o Outcome) Sample { return Sample{Check: "c", Time: at, Outcome: o, Value: "v"} }
	for _, tc := range []struct {
		name    string
		check   Check
		samples []Outcome
		// failedAt is the 1-based sample that fails the check, 0 for none.
		failedAt int
	}{
		{"passes", Check{Name: "c", HTTP: &HTTPCheck{}, Inconclusive: PolicyFail}, []Outcome{Pass, Pass, Pass}, 0},
		{"first failure with limit 0", Check{Name: "c", HTTP: &HTTPCheck{}, Inconclusive: PolicyFail}, []Outcome{Pass, Fail, Pass}, 2},
		{"within the limit", Check{Name: "c", FailureLimit: 2, HTTP: &HTTPCheck{}, Inconclusive: PolicyFail}, []Outcome{Fail, Pass, Fail}, 0},
		{"past the limit", Check{Name: "c", FailureLimit: 1, HTTP: &HTTPCheck{}, Inconclusive: PolicyFail}, []Outcome{Fail, Pass, Fail}, 3},
		{"inconclusive fails by default", Check{Name: "c", HTTP: &HTTPCheck{}, Inconclusive: PolicyFail}, []Outcome{Pass, Inconclusive}, 2},
		{"inconclusive passes by policy", Check{Name: "c", HTTP: &HTTPCheck{}, Inconclusive: PolicyPass}, []Outcome{Inconclusive, Inconclusive, Pass}, 0},
		{"a job fails at once", Check{Name: "c", FailureLimit: 3, Job: &JobCheck{}, Inconclusive: PolicyFail}, []Outcome{Fail}, 1},
	} {
		tl := newTally(tc.check, "q")
		failedAt := 0
		for i, o := range tc.samples {
			if tl.add(sample(o)) && failedAt == 0 {
				failedAt = i + 1
			}
		}
		if failedAt != tc.failedAt {
			t.Errorf("%s: failed at sample %d, want %d", tc.name, failedAt, tc.failedAt)
		}
	}

	// The verdict of a policy-passed inconclusive check says so; a failed one names it.
	lenient := newTally(Check{Name: "lenient", Prometheus: &PrometheusCheck{}, Inconclusive: PolicyPass}, "up")
	lenient.add(Sample{Check: "lenient", Time: at, Outcome: Inconclusive, Detail: "Prometheus at x: connection refused"})
	v := judge([]*tally{lenient}, Verdict{Start: at, End: at.Add(time.Minute), Window: time.Minute, Interval: time.Second})
	if !v.Passed || !strings.Contains(strings.Join(v.Summary(), "\n"), "counted as passed by its policy (inconclusive: pass)") {
		t.Errorf("lenient verdict: passed %v, summary %q", v.Passed, v.Summary())
	}
	if ev := strings.Join(v.Evidence(), "\n"); !strings.Contains(ev, "connection refused") {
		t.Errorf("lenient evidence %q does not show the inconclusive sample", ev)
	}
	strict := newTally(Check{Name: "strict", Prometheus: &PrometheusCheck{}, Inconclusive: PolicyFail}, "up")
	strict.add(Sample{Check: "strict", Time: at, Outcome: Inconclusive, Detail: "Prometheus at x: connection refused"})
	v = judge([]*tally{strict}, Verdict{Start: at, End: at})
	if v.Passed || !strings.Contains(v.Reason(), "counted as a failure by its policy (inconclusive: fail)") {
		t.Errorf("strict verdict: passed %v, reason %q", v.Passed, v.Reason())
	}
	if v := judge(nil, Verdict{Interrupted: "signal or cancelled"}); v.Passed || !strings.Contains(v.Reason(), "interrupted") {
		t.Errorf("interrupted verdict: passed %v, reason %q", v.Passed, v.Reason())
	}
}
