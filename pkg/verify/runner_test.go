package verify

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeProber answers samples from a list (the last one repeats) and counts its calls.
type fakeProber struct {
	outcomes []Outcome
	calls    atomic.Int32
	// block makes probe wait for the context, as a Job that never ends.
	block bool
	// warm is its warmup, as a prometheus query's longest range.
	warm time.Duration
}

func (f *fakeProber) query() string { return "fake" }

func (f *fakeProber) warmup() time.Duration { return f.warm }

func (f *fakeProber) probe(ctx context.Context) Sample {
	n := int(f.calls.Add(1)) - 1
	if f.block {
		<-ctx.Done()
		return Sample{Check: "blocked", Time: time.Now(), Outcome: Inconclusive, Detail: "stopped"}
	}
	o := f.outcomes[min(n, len(f.outcomes)-1)]
	return Sample{Check: "fake", Time: time.Now(), Outcome: o, Value: string(o)}
}

func runWindow(t *testing.T, ctx context.Context, spec *Spec, probers ...*fakeProber) Verdict {
	t.Helper()
	ps := make([]prober, len(probers))
	ts := make([]*tally, len(probers))
	for i, p := range probers {
		ps[i] = p
		ts[i] = newTally(spec.Checks[i], p.query())
	}
	var seen atomic.Int32
	v := (&Runner{}).window(ctx, spec, ps, ts, false, func(Sample) { seen.Add(1) })
	var total int
	for _, c := range v.Checks {
		total += c.Samples
	}
	if int(seen.Load()) != total {
		t.Errorf("OnSample saw %d samples, the verdict counts %d", seen.Load(), total)
	}
	return v
}

func TestWindowSamplesEveryIntervalAndPasses(t *testing.T) {
	t.Parallel()
	spec := &Spec{For: 40 * time.Millisecond, Interval: 10 * time.Millisecond,
		Checks: []Check{{Name: "a", HTTP: &HTTPCheck{}, Inconclusive: PolicyFail}}}
	p := &fakeProber{outcomes: []Outcome{Pass}}
	v := runWindow(t, context.Background(), spec, p)
	if !v.Passed || v.Checks[0].Samples != 5 {
		t.Errorf("passed %v with %d samples, want passed with 5 (at 0, 10, 20, 30, 40 ms)", v.Passed, v.Checks[0].Samples)
	}
}

func TestWindowStopsAtTheFirstBreach(t *testing.T) {
	t.Parallel()
	spec := &Spec{For: time.Minute, Interval: 5 * time.Millisecond, Checks: []Check{
		{Name: "flaky", FailureLimit: 1, HTTP: &HTTPCheck{}, Inconclusive: PolicyFail},
		{Name: "job", Job: &JobCheck{}, Inconclusive: PolicyFail},
	}}
	flaky := &fakeProber{outcomes: []Outcome{Pass, Fail, Pass, Fail}}
	job := &fakeProber{block: true}
	start := time.Now()
	v := runWindow(t, context.Background(), spec, flaky, job)
	if time.Since(start) > 30*time.Second {
		t.Fatal("the window ran on after a check failed")
	}
	if v.Passed || !v.Checks[0].Failed || v.Checks[0].Samples != 4 || v.Checks[0].Failures != 2 {
		t.Errorf("verdict %+v: want failed at the 4th sample (2 failures over a limit of 1)", v.Checks[0])
	}
	if v.Checks[1].Samples != 0 || v.Checks[1].Failed {
		t.Errorf("the stopped job's cut-short sample was counted: %+v", v.Checks[1])
	}
	if !strings.Contains(v.Reason(), "check flaky (http) failed") {
		t.Errorf("reason %q", v.Reason())
	}
}

func TestWindowInterrupted(t *testing.T) {
	t.Parallel()
	spec := &Spec{For: time.Minute, Interval: 5 * time.Millisecond,
		Checks: []Check{{Name: "a", HTTP: &HTTPCheck{}, Inconclusive: PolicyFail}}}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(30*time.Millisecond, cancel)
	v := runWindow(t, ctx, spec, &fakeProber{outcomes: []Outcome{Pass}})
	if v.Passed || v.Interrupted == "" || !strings.Contains(v.Reason(), "interrupted") {
		t.Errorf("interrupted window: passed %v, reason %q", v.Passed, v.Reason())
	}
}

func TestWarmup(t *testing.T) {
	t.Parallel()
	for q, want := range map[string]time.Duration{
		`up`: 0,
		`sum(rate(x{code="500"}[6s])) / sum(rate(x[1m]))`: time.Minute,
		`max_over_time(rate(x[30s])[5m:1m])`:              5 * time.Minute,
	} {
		if got := (&promProber{check: &PrometheusCheck{Query: q}}).warmup(); got != want {
			t.Errorf("warmup(%s) = %s, want %s", q, got, want)
		}
	}
}

func TestSampleEveryNotBefore(t *testing.T) {
	t.Parallel()
	spec := &Spec{For: 40 * time.Millisecond, Interval: 10 * time.Millisecond}
	count := func(notBefore time.Duration) (int, time.Duration) {
		p := &fakeProber{outcomes: []Outcome{Pass}}
		start := time.Now()
		var firstAt time.Duration
		n := 0
		(&Runner{}).sampleEvery(context.Background(), start, notBefore, spec.Interval, int(spec.For/spec.Interval), p, func(Sample) bool {
			if n == 0 {
				firstAt = time.Since(start)
			}
			n++
			return true
		})
		return n, firstAt
	}
	if n, _ := count(0); n != 5 {
		t.Errorf("no warmup: %d samples, want 5", n)
	}
	if n, at := count(25 * time.Millisecond); n != 2 || at < 25*time.Millisecond {
		t.Errorf("warmup 25ms: %d samples, first after %s; want 2 (at 30 and 40 ms)", n, at)
	}
	if n, at := count(100 * time.Millisecond); n != 1 || at < 100*time.Millisecond {
		t.Errorf("warmup past the window: %d samples, first after %s; want 1 at 100 ms", n, at)
	}
}

// runRollout runs Runner.Rollout on fake probers, one per check of spec marked
// DuringRollout, until stop is closed.
func runRollout(t *testing.T, ctx context.Context, spec *Spec, probers ...*fakeProber) (*Verdict, []Sample) {
	t.Helper()
	byName := map[string]*fakeProber{}
	i := 0
	for _, c := range spec.Checks {
		if c.DuringRollout {
			byName[c.Name] = probers[i]
			i++
		}
	}
	var seen []Sample
	r := &Runner{probe: func(c Check) prober { return byName[c.Name] }}
	v, err := r.Rollout(ctx, Request{Spec: spec, OnSample: func(s Sample) { seen = append(seen, s) }})
	if err != nil {
		t.Fatal(err)
	}
	return v, seen
}

func TestRolloutStopsAtTheFirstBreach(t *testing.T) {
	t.Parallel()
	spec := &Spec{For: time.Minute, Interval: 5 * time.Millisecond, Checks: []Check{
		{Name: "healthz", DuringRollout: true, HTTP: &HTTPCheck{}, Inconclusive: PolicyFail},
		{Name: "later", HTTP: &HTTPCheck{}, Inconclusive: PolicyFail},
	}}
	p := &fakeProber{outcomes: []Outcome{Pass, Inconclusive, Pass, Fail}}
	v, seen := runRollout(t, context.Background(), spec, p)
	if v == nil || v.Passed || !v.DuringRollout || len(v.Checks) != 1 {
		t.Fatalf("verdict %+v: want a failed verdict during the rollout of check healthz alone", v)
	}
	c := v.Checks[0]
	if !c.Failed || c.Samples != 3 || c.RolloutSamples != 3 || c.Failures != 1 || c.Inconclusive != 0 || c.RolloutUncounted != 1 {
		t.Errorf("check %+v: want failed at its 4th sample, the inconclusive one not counted", c)
	}
	if len(seen) != 4 || !seen[1].Uncounted || !seen[3].DuringRollout || !strings.Contains(seen[1].String(), "during the rollout: not counted") {
		t.Errorf("samples seen %+v: want 4, all during the rollout, the 2nd not counted", seen)
	}
	wantIn := func(what, s string, subs ...string) {
		for _, sub := range subs {
			if !strings.Contains(s, sub) {
				t.Errorf("%s %q does not mention %q", what, s, sub)
			}
		}
	}
	wantIn("reason", v.Reason(), "check healthz (http) failed during the rollout")
	wantIn("evidence", strings.Join(v.Evidence(), "\n"), "1 of 3 samples failed", "during the rollout, every 5ms", "the 1m0s window did not start")
}

func TestRolloutCountsCarryOnIntoTheWindow(t *testing.T) {
	t.Parallel()
	spec := &Spec{For: 20 * time.Millisecond, Interval: 10 * time.Millisecond, Checks: []Check{
		{Name: "healthz", DuringRollout: true, FailureLimit: 1, HTTP: &HTTPCheck{}, Inconclusive: PolicyFail},
	}}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel) // every object is ready
	// Inconclusive while no pod answers, then one failure: under the limit of 1.
	v, _ := runRollout(t, ctx, spec, &fakeProber{outcomes: []Outcome{Inconclusive, Fail, Pass}})
	if v == nil || !v.Passed || v.Checks[0].Failures != 1 || v.Checks[0].RolloutUncounted != 1 || v.Checks[0].RolloutSamples < 2 {
		t.Fatalf("rollout verdict %+v: want passed with 1 failure and 1 uncounted sample", v)
	}
	// The window's first failure is the check's second: over the limit.
	w := runWindowAfter(t, spec, v, &fakeProber{outcomes: []Outcome{Fail}})
	if w.Passed || w.Checks[0].Failures != 2 || w.Checks[0].Samples != v.Checks[0].Samples+1 || !w.RolloutStart.Equal(v.Start) {
		t.Errorf("window verdict %+v: want failed at its first sample, counting the rollout's failure", w)
	}
	if e := strings.Join(w.Evidence(), "\n"); !strings.Contains(e, "counted samples during the rollout") {
		t.Errorf("evidence does not say the rollout's samples count: %s", e)
	}
}

func TestRolloutWithoutChecks(t *testing.T) {
	t.Parallel()
	spec := &Spec{For: time.Second, Interval: time.Second, Checks: []Check{{Name: "a", HTTP: &HTTPCheck{}}}}
	if v, err := (&Runner{}).Rollout(context.Background(), Request{Spec: spec}); v != nil || err != nil {
		t.Errorf("Rollout with no check marked duringRollout = %+v, %v; want nil, nil", v, err)
	}
}

// runWindowAfter runs Runner.Run on one fake prober per check, after rollout.
func runWindowAfter(t *testing.T, spec *Spec, rollout *Verdict, probers ...*fakeProber) *Verdict {
	t.Helper()
	byName := map[string]*fakeProber{}
	for i, c := range spec.Checks {
		byName[c.Name] = probers[i]
	}
	r := &Runner{probe: func(c Check) prober { return byName[c.Name] }}
	v, err := r.Run(context.Background(), Request{Spec: spec, Rollout: rollout})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestWindowAfterRolloutTakesNoWarmup: a check sampled during the rollout is sampled on
// at once when the window starts; the same check without a rollout (a restore's
// target) waits for its warmup.
func TestWindowAfterRolloutTakesNoWarmup(t *testing.T) {
	t.Parallel()
	spec := &Spec{For: 160 * time.Millisecond, Interval: 40 * time.Millisecond, Checks: []Check{
		{Name: "rate", DuringRollout: true, Prometheus: &PrometheusCheck{}, Inconclusive: PolicyFail},
	}}
	rollout := &Verdict{Passed: true, DuringRollout: true, Checks: []CheckResult{{Name: "rate", Samples: 3, RolloutSamples: 3}}}
	// No data until the new pods are scraped: not counted while the range covers the
	// rollout.
	after := runWindowAfter(t, spec, rollout, &fakeProber{outcomes: []Outcome{Inconclusive, Pass}, warm: 100 * time.Millisecond})
	if c := after.Checks[0]; after.Passed != true || c.Samples != 3+4 || c.RolloutUncounted != 1 || c.RolloutSamples < 3 {
		t.Errorf("after the rollout: %+v; want the 3 samples of the rollout, 1 not counted, and 4 more (at 40, 80, 120, 160 ms; those before 100 ms as the rollout's)", c)
	}
	late := runWindowAfter(t, spec, rollout, &fakeProber{outcomes: []Outcome{Pass, Pass, Pass, Inconclusive}, warm: 100 * time.Millisecond})
	if late.Passed {
		t.Errorf("after the rollout: an inconclusive sample once the range no longer covers the rollout passed: %+v", late.Checks[0])
	}
	alone := runWindowAfter(t, spec, nil, &fakeProber{outcomes: []Outcome{Pass}, warm: 100 * time.Millisecond})
	if c := alone.Checks[0]; c.Samples != 2 {
		t.Errorf("without a rollout: %+v; want 2 samples (at 120 and 160 ms, after the 100 ms warmup)", c)
	}
}
