package verify

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Runner runs a Spec's checks against a cluster and Prometheus.
type Runner struct {
	// Typed reaches Services through the API server's proxy and runs Jobs.
	Typed kubernetes.Interface
	// PrometheusURL, when set, is the Prometheus of every prometheus check (the
	// --prometheus-url flag); otherwise a check's url, then the spec's, is used.
	PrometheusURL string
	// PrometheusService, when set and no URL is, is the Service of every prometheus
	// check (the --prometheus-service flag); otherwise the spec's is used.
	PrometheusService *ServiceRef
	// Config is the cluster connection a Prometheus Service is reached through.
	Config *rest.Config
	Clock  func() time.Time
	// probe, when set, is the prober of every check instead of one that reaches the
	// cluster or Prometheus (tests).
	probe func(Check) prober
}

// Request is one verification: a Spec for a revision of a release.
type Request struct {
	Spec      *Spec
	Release   string
	Namespace string
	Revision  int
	// Since is when the deploy began; a relative threshold's baseline is the window
	// before it.
	Since time.Time
	// OnSample, if set, receives every sample as it is taken, from one goroutine at a time.
	OnSample func(Sample)
	// Rollout, for Run, is the verdict Rollout returned for this revision (nil: none):
	// the window continues its checks' counts.
	Rollout *Verdict
}

// prober takes one sample of a check.
type prober interface {
	// query names what is sampled: a PromQL query, a URL path, a Job.
	query() string
	probe(ctx context.Context) Sample
}

// warmer is a prober whose first sample in the window must wait this long after the
// release is ready (a prometheus check: see promProber.warmup).
type warmer interface {
	warmup() time.Duration
}

func (r *Runner) now() time.Time {
	if r.Clock != nil {
		return r.Clock()
	}
	return time.Now()
}

// Run waits Spec.InitialDelay, then samples every periodic check (http, prometheus) at
// once and then every Spec.Interval until Spec.For has passed, and runs every job check
// once, until the window ends and every Job finished, or a check fails (the rest are
// then stopped). A prometheus check's first sample waits for its query's longest range
// (see promProber.warmup), but for a check sampled during the rollout when req.Rollout
// is given: its counts are carried on, and it is sampled on with no pause, its samples
// counted as the rollout's until that range has passed.
// Cancelling ctx ends the window early with an interrupted, failed Verdict. An error
// means the checks could not be set up (a Prometheus URL missing); nothing ran.
func (r *Runner) Run(ctx context.Context, req Request) (*Verdict, error) {
	probers, tallies, err := r.setup(ctx, req, req.Spec.Checks)
	if err != nil {
		return nil, err
	}
	if req.Rollout != nil {
		carryOn(tallies, req.Rollout)
	}
	v := r.window(ctx, req.Spec, probers, tallies, req.Rollout != nil, req.OnSample)
	if req.Rollout != nil {
		v.RolloutStart = req.Rollout.Start
	}
	return &v, nil
}

// Rollout samples the checks of req.Spec marked DuringRollout at once and then every
// Spec.Interval, from no warmup on (what a prometheus query sees then mixes the old and
// new versions, which is what is asked), until ctx ends (the caller ends it once every
// object is ready, or the rollout stopped) or one of them fails, which stops the rest.
// A failed sample counts against its check's failure limit; an inconclusive one is not
// counted (see tally.addDuringRollout). It returns a Verdict with DuringRollout set:
// failed when a check failed, else passed with the counts that Run carries on when
// given it as Request.Rollout; nil when no check is sampled during the rollout. An
// error means the checks could not be set up; nothing ran.
func (r *Runner) Rollout(ctx context.Context, req Request) (*Verdict, error) {
	var checks []Check
	for _, c := range req.Spec.Checks {
		if c.DuringRollout {
			checks = append(checks, c)
		}
	}
	if len(checks) == 0 {
		return nil, nil
	}
	probers, tallies, err := r.setup(ctx, req, checks)
	if err != nil {
		return nil, err
	}
	spec := req.Spec
	v := Verdict{Start: r.now(), Window: spec.For, Interval: spec.Interval, DuringRollout: true}
	sampleAll(ctx, len(probers), func(ctx context.Context, i int, emit func(Sample) bool) {
		r.sampleEvery(ctx, v.Start, 0, spec.Interval, math.MaxInt32, probers[i], emit)
	}, func(i int, s Sample) bool {
		failed := tallies[i].addDuringRollout(&s)
		if req.OnSample != nil {
			req.OnSample(s)
		}
		return failed
	})
	v.End = r.now()
	v = judge(tallies, v)
	return &v, nil
}

// setup builds the probers of checks, and their tallies, and reads the baselines of
// relative thresholds: before the deploy, they describe the previous version.
func (r *Runner) setup(ctx context.Context, req Request, checks []Check) ([]prober, []*tally, error) {
	probers := make([]prober, len(checks))
	tallies := make([]*tally, len(checks))
	for i, c := range checks {
		var (
			p   prober
			err error
		)
		if r.probe != nil {
			p = r.probe(c)
		} else {
			p, err = r.proberFor(req, c)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("check %s: %w", c.Name, err)
		}
		probers[i] = p
		tallies[i] = newTally(c, p.query())
	}
	for i, p := range probers {
		if pp, ok := p.(*promProber); ok && pp.check.BaselineFactor > 0 {
			pp.loadBaseline(ctx, req.Since, baselineWindow(req.Spec))
			tallies[i].res.Baseline, tallies[i].res.BaselineNote = pp.baseline, pp.baselineNote
		}
	}
	return probers, tallies, nil
}

// carryOn gives tallies the counts the same checks reached during the rollout.
func carryOn(tallies []*tally, rollout *Verdict) {
	for _, t := range tallies {
		for _, c := range rollout.Checks {
			if c.Name == t.res.Name {
				t.res = c
				t.res.Bad = slices.Clone(c.Bad)
			}
		}
	}
}

// window runs probers (one per check of spec, tallied by tallies) for the window and
// judges them. With afterRollout, the checks marked DuringRollout were sampled during
// the rollout and are sampled on with no pause for their warmup; their samples taken
// before it has passed are counted as the rollout's (tally.addDuringRollout), as their
// query still covers the rollout.
func (r *Runner) window(ctx context.Context, spec *Spec, probers []prober, tallies []*tally, afterRollout bool, onSample func(Sample)) Verdict {
	if spec.InitialDelay > 0 {
		t := time.NewTimer(spec.InitialDelay)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
	}
	verdict := Verdict{Start: r.now(), Window: spec.For, Interval: spec.Interval}
	sampleAll(ctx, len(probers), func(ctx context.Context, i int, emit func(Sample) bool) {
		p := probers[i]
		if spec.Checks[i].Job != nil {
			emit(p.probe(ctx))
			return
		}
		var wait time.Duration
		if w, ok := p.(warmer); ok {
			wait = w.warmup() - spec.InitialDelay
		}
		n := int(spec.For / spec.Interval)
		if afterRollout && spec.Checks[i].DuringRollout {
			// No pause: until the warmup has passed, the query still covers the
			// rollout, and its samples are counted as the rollout's.
			covered := verdict.Start.Add(wait)
			r.sampleEvery(ctx, verdict.Start, 0, spec.Interval, n, p, func(s Sample) bool {
				s.DuringRollout = s.Time.Before(covered)
				return emit(s)
			})
			return
		}
		r.sampleEvery(ctx, verdict.Start, wait, spec.Interval, n, p, emit)
	}, func(i int, s Sample) bool {
		var failed bool
		if s.DuringRollout {
			failed = tallies[i].addDuringRollout(&s)
		} else {
			failed = tallies[i].add(s)
		}
		if onSample != nil {
			onSample(s)
		}
		return failed
	})
	verdict.End = r.now()
	if err := ctx.Err(); err != nil {
		verdict.Interrupted = context.Cause(ctx).Error()
		if errors.Is(context.Cause(ctx), context.Canceled) {
			verdict.Interrupted = "signal or cancelled"
		}
	}
	return judge(tallies, verdict)
}

// sampleAll runs take(ctx, i, emit) for i in [0, n) at once, each in its goroutine, and
// hands the samples they emit to add, one at a time, until all of them returned or add
// reports a failed check: that stops the others (their ctx is cancelled, and emit then
// refuses: a sample cut short is no evidence).
func sampleAll(ctx context.Context, n int, take func(ctx context.Context, i int, emit func(Sample) bool), add func(i int, s Sample) bool) {
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	type indexed struct {
		i int
		s Sample
	}
	samples := make(chan indexed)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			take(wctx, i, func(s Sample) bool {
				if wctx.Err() != nil {
					return false
				}
				select {
				case samples <- indexed{i, s}:
					return true
				case <-wctx.Done():
					return false
				}
			})
		}()
	}
	go func() {
		wg.Wait()
		close(samples)
	}()
	for is := range samples {
		if add(is.i, is.s) {
			stop() // one failed check ends the sampling: stop the others
		}
	}
}

// sampleEvery probes p at start, start+interval, ... up to start+n*interval, passing
// each sample to emit until emit refuses it (the sampling was stopped) or ctx ends.
// Times before start+notBefore are skipped; if that leaves none, p is probed once at
// start+notBefore. Each probe may take at most interval.
func (r *Runner) sampleEvery(ctx context.Context, start time.Time, notBefore, interval time.Duration, n int, p prober, emit func(Sample) bool) {
	first := 0
	if notBefore > 0 {
		first = int((notBefore + interval - 1) / interval)
		if first > n {
			first, n = 0, 0
			start = start.Add(notBefore)
		}
	}
	for k := first; k <= n; k++ {
		if k > 0 || notBefore > 0 {
			wait := time.Until(start.Add(time.Duration(k) * interval))
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		sctx, cancel := context.WithTimeout(ctx, interval)
		s := p.probe(sctx)
		cancel()
		if !emit(s) {
			return
		}
	}
}

// baselineWindow is how far before the deploy a relative threshold's baseline looks:
// as long as the window, and at least two intervals.
func baselineWindow(spec *Spec) time.Duration {
	return max(spec.For, 2*spec.Interval)
}

// proberFor builds the prober of one check.
func (r *Runner) proberFor(req Request, c Check) (prober, error) {
	switch {
	case c.HTTP != nil:
		return &httpProber{name: c.Name, check: c.HTTP, namespace: req.Namespace, typed: r.Typed, now: r.now}, nil
	case c.Prometheus != nil:
		url := r.PrometheusURL
		if url == "" {
			url = c.Prometheus.URL
		}
		if url == "" {
			url = req.Spec.PrometheusURL
		}
		if url != "" {
			return newPromProber(c.Name, c.Prometheus, url, url, nil, r.now)
		}
		svc := r.PrometheusService
		if svc == nil {
			svc = req.Spec.PrometheusService
		}
		if svc == nil {
			return nil, errors.New("no Prometheus to query: pass --prometheus-url or --prometheus-service, or set spec.prometheus.url or spec.prometheus.service")
		}
		addr, rt, err := proxyAddress(r.Config, *svc, req.Namespace)
		if err != nil {
			return nil, err
		}
		return newPromProber(c.Name, c.Prometheus, addr, "service "+svc.String()+" through the API server's proxy", rt, r.now)
	case c.Job != nil:
		return &jobProber{name: c.Name, check: c.Job, release: req.Release, namespace: req.Namespace,
			revision: req.Revision, typed: r.Typed, now: r.now}, nil
	}
	return nil, errors.New("no check kind set")
}

// NeedsPrometheus reports whether spec has a prometheus check with no URL of its own or
// or Service of the spec, so that the caller must supply one (--prometheus-url or
// --prometheus-service).
func NeedsPrometheus(spec *Spec) bool {
	for _, c := range spec.Checks {
		if c.Prometheus != nil && c.Prometheus.URL == "" && spec.PrometheusURL == "" && spec.PrometheusService == nil {
			return true
		}
	}
	return false
}
