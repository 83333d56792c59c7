package verify

import (
	"fmt"
	"strings"
	"time"
)

// Outcome is how one sample of a check was judged.
type Outcome string

const (
	Pass Outcome = "pass"
	Fail Outcome = "fail"
	// Inconclusive: the sample could not be judged (no data, Prometheus unreachable, a
	// proxy error); the check's Policy decides what it counts as.
	Inconclusive Outcome = "inconclusive"
)

// Sample is one judgement of one check.
type Sample struct {
	Check   string    `json:"check"`
	Time    time.Time `json:"time"`
	Outcome Outcome   `json:"outcome"`
	// Value is what was measured: a query's value, an HTTP status, a Job's state.
	Value string `json:"value,omitempty"`
	// Threshold is the condition the value was judged by ("< 0.01", "status 200").
	Threshold string `json:"threshold,omitempty"`
	// Detail explains a failed or inconclusive sample.
	Detail string `json:"detail,omitempty"`
	// DuringRollout marks a sample taken while the release's objects were rolled out,
	// before they were all ready, or, for a prometheus check sampled then, in the window
	// while its query's longest range still reached back into the rollout.
	DuringRollout bool `json:"duringRollout,omitempty"`
	// Uncounted marks an inconclusive sample taken during the rollout: it counts neither
	// as a sample nor as a failure, whatever the check's policy.
	Uncounted bool `json:"uncounted,omitempty"`
}

// String renders the sample on one line.
func (s Sample) String() string {
	out := fmt.Sprintf("%s %s: %s", s.Time.UTC().Format("15:04:05"), s.Check, s.Outcome)
	if s.Value != "" {
		out += " value " + s.Value
	}
	if s.Threshold != "" {
		out += " (want " + s.Threshold + ")"
	}
	if s.Detail != "" {
		out += ": " + s.Detail
	}
	switch {
	case s.Uncounted:
		out += " (during the rollout: not counted)"
	case s.DuringRollout:
		out += " (during the rollout)"
	}
	return out
}

// CheckResult is what the window showed of one check.
type CheckResult struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// Query is the PromQL query, the URL path or the Job's name.
	Query string `json:"query"`
	// Baseline is the query's mean over the window before the deploy, for a relative
	// threshold; BaselineNote says how it was found or why there is none.
	Baseline     *float64 `json:"baseline,omitempty"`
	BaselineNote string   `json:"baselineNote,omitempty"`
	Samples      int      `json:"samples"`
	Failures     int      `json:"failures"`
	// RolloutSamples counts the Samples taken during the rollout; RolloutUncounted the
	// inconclusive samples then, which count nowhere else.
	RolloutSamples   int `json:"rolloutSamples,omitempty"`
	RolloutUncounted int `json:"rolloutUncounted,omitempty"`
	// Inconclusive counts inconclusive samples, whatever the policy made of them.
	Inconclusive int    `json:"inconclusive"`
	FailureLimit int    `json:"failureLimit"`
	Policy       Policy `json:"inconclusivePolicy"`
	Failed       bool   `json:"failed"`
	// Bad are the failed and inconclusive samples (the first ones, at most maxBad).
	Bad []Sample `json:"bad,omitempty"`
	// Last is the last sample taken.
	Last *Sample `json:"last,omitempty"`
}

// Verdict is the outcome of a verification window, or of the sampling during the
// rollout (DuringRollout).
type Verdict struct {
	Passed bool `json:"passed"`
	// Start and End bound the window, or with DuringRollout the sampling during the
	// rollout.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// DuringRollout says the verdict covers only the rollout, before every object was
	// ready (Runner.Rollout): a failed one is a breach that stopped the rollout, and the
	// window did not run.
	DuringRollout bool `json:"duringRollout,omitempty"`
	// RolloutStart, on a window's verdict, is when sampling during the rollout began
	// (zero: no check was sampled then); the counts include those samples.
	RolloutStart time.Time `json:"rolloutStart,omitzero"`
	// Window and Interval are the spec's.
	Window   time.Duration `json:"window"`
	Interval time.Duration `json:"interval"`
	Checks   []CheckResult `json:"checks"`
	// Interrupted says the window was cut short by a signal or a lost lock.
	Interrupted string `json:"interrupted,omitempty"`
}

// Failed returns the results of the failed checks.
func (v *Verdict) Failed() []CheckResult {
	var out []CheckResult
	for _, c := range v.Checks {
		if c.Failed {
			out = append(out, c)
		}
	}
	return out
}

// Reason is one line saying why the verdict failed ("" when it passed).
func (v *Verdict) Reason() string {
	if v.Passed {
		return ""
	}
	if v.Interrupted != "" {
		return "verification interrupted: " + v.Interrupted
	}
	var parts []string
	for _, c := range v.Failed() {
		s := fmt.Sprintf("check %s (%s) failed", c.Name, c.Type)
		if v.DuringRollout {
			s += " during the rollout"
		}
		if len(c.Bad) > 0 {
			b := c.Bad[len(c.Bad)-1]
			if b.Value != "" {
				s += ": value " + b.Value
			}
			if b.Threshold != "" {
				s += ", want " + b.Threshold
			}
			if b.Outcome == Inconclusive {
				s += ": inconclusive (" + b.Detail + "), counted as a failure by its policy (inconclusive: fail)"
			} else if b.Detail != "" {
				s += ": " + b.Detail
			}
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// Evidence returns the lines that explain the verdict: per check, its query, window,
// counts, baseline and the bad samples with their times.
func (v *Verdict) Evidence() []string {
	var out []string
	for _, c := range v.Checks {
		if !c.Failed && c.Inconclusive == 0 {
			continue
		}
		state := "passed"
		if c.Failed {
			state = "FAILED"
		}
		out = append(out, fmt.Sprintf("check %s (%s) %s: %d of %d samples failed (failureLimit %d), %d inconclusive (policy: %s); query: %s; %s",
			c.Name, c.Type, state, c.Failures, c.Samples, c.FailureLimit, c.Inconclusive, c.Policy, c.Query, v.span(c)))
		if c.BaselineNote != "" {
			out = append(out, fmt.Sprintf("check %s baseline: %s", c.Name, c.BaselineNote))
		}
		for _, s := range c.Bad {
			out = append(out, "sample "+s.String())
		}
	}
	return out
}

// span says when a check's samples were taken: the window, the rollout, or both.
func (v *Verdict) span(c CheckResult) string {
	clock := func(t time.Time) string { return t.UTC().Format("15:04:05") }
	if v.DuringRollout {
		return fmt.Sprintf("during the rollout, every %s from %s to %s, before every object was ready (the %s window did not start)",
			v.Interval, clock(v.Start), clock(v.End), v.Window)
	}
	s := fmt.Sprintf("window %s every %s from %s to %s", v.Window, v.Interval, clock(v.Start), clock(v.End))
	if c.RolloutSamples > 0 || c.RolloutUncounted > 0 {
		s += fmt.Sprintf(", after %d counted samples during the rollout from %s", c.RolloutSamples, clock(v.RolloutStart))
	}
	return s
}

// Summary is one line per check for a passed verdict.
func (v *Verdict) Summary() []string {
	var out []string
	for _, c := range v.Checks {
		s := fmt.Sprintf("check %s (%s): %d of %d samples passed", c.Name, c.Type, c.Samples-c.Failures-c.Inconclusive, c.Samples)
		if c.RolloutSamples > 0 {
			s += fmt.Sprintf(" (%d of them during the rollout)", c.RolloutSamples)
		}
		if c.Last != nil && c.Last.Value != "" {
			s += fmt.Sprintf(", last value %s (want %s)", c.Last.Value, c.Last.Threshold)
		}
		if c.Inconclusive > 0 {
			s += fmt.Sprintf("; %d inconclusive", c.Inconclusive)
			if c.Policy == PolicyPass {
				s += " counted as passed by its policy (inconclusive: pass)"
			}
		}
		if c.RolloutUncounted > 0 {
			s += fmt.Sprintf("; %d inconclusive during the rollout, not counted", c.RolloutUncounted)
		}
		if c.BaselineNote != "" {
			s += "; baseline " + c.BaselineNote
		}
		out = append(out, s)
	}
	return out
}
