package verify

import (
	"context"
	"errors"
	"fmt"
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
}

// prober takes one sample of a check.
type prober interface {
	// query names what is sampled: a PromQL query, a URL path, a Job.
	query() string
	probe(ctx context.Context) Sample
}

func (r *Runner) now() time.Time {
	if r.Clock != nil {
		return r.Clock()
	}
	return time.Now()
}

// Run waits Spec.InitialDelay, then samples every periodic check (http, prometheus) at
// once and then every
// Spec.Interval until Spec.For has passed, and runs every job check once, until the
// window ends and every Job finished, or a check fails (the rest are then stopped).
// Cancelling ctx ends the window early with an interrupted, failed Verdict. An error
// means the checks could not be set up (a Prometheus URL missing); nothing ran.
func (r *Runner) Run(ctx context.Context, req Request) (*Verdict, error) {
	spec := req.Spec
	probers := make([]prober, len(spec.Checks))
	tallies := make([]*tally, len(spec.Checks))
	for i, c := range spec.Checks {
		p, err := r.proberFor(req, c)
		if err != nil {
			return nil, fmt.Errorf("check %s: %w", c.Name, err)
		}
		probers[i] = p
		tallies[i] = newTally(c, p.query())
	}
	// Baselines are read before the window starts: they describe the previous version.
	for i, p := range probers {
		if pp, ok := p.(*promProber); ok && pp.check.BaselineFactor > 0 {
			pp.loadBaseline(ctx, req.Since, baselineWindow(spec))
			tallies[i].res.Baseline, tallies[i].res.BaselineNote = pp.baseline, pp.baselineNote
		}
	}

	v := r.window(ctx, spec, probers, tallies, req.OnSample)
	return &v, nil
}

// window runs probers (one per check of spec, tallied by tallies) for the window and
// judges them.
func (r *Runner) window(ctx context.Context, spec *Spec, probers []prober, tallies []*tally, onSample func(Sample)) Verdict {
	if spec.InitialDelay > 0 {
		t := time.NewTimer(spec.InitialDelay)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
	}
	verdict := Verdict{Start: r.now(), Window: spec.For, Interval: spec.Interval}
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	type indexed struct {
		i int
		s Sample
	}
	samples := make(chan indexed)
	var wg sync.WaitGroup
	for i, p := range probers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			emit := func(s Sample) bool {
				if wctx.Err() != nil {
					return false // a sample cut short by the window's end is no evidence
				}
				select {
				case samples <- indexed{i, s}:
					return true
				case <-wctx.Done():
					return false
				}
			}
			if spec.Checks[i].Job != nil {
				emit(p.probe(wctx))
				return
			}
			var wait time.Duration
			if pp, ok := p.(*promProber); ok {
				wait = pp.warmup() - spec.InitialDelay
			}
			r.sampleEvery(wctx, verdict.Start, wait, spec, p, emit)
		}()
	}
	go func() {
		wg.Wait()
		close(samples)
	}()
	for is := range samples {
		if onSample != nil {
			onSample(is.s)
		}
		if tallies[is.i].add(is.s) {
			stop() // one failed check fails the window: stop the others
		}
	}
	verdict.End = r.now()
	if err := ctx.Err(); err != nil {
		verdict.Interrupted = context.Cause(ctx).Error()
		if errors.Is(context.Cause(ctx), context.Canceled) {
			verdict.Interrupted = "signal or cancelled"
		}
	}
	return judge(tallies, verdict)
}

// sampleEvery probes p at start, start+interval, ... up to start+For, passing each
// sample to emit until emit refuses it (the window was stopped). Times before
// start+notBefore are skipped; if that leaves none, p is probed once at start+notBefore.
func (r *Runner) sampleEvery(ctx context.Context, start time.Time, notBefore time.Duration, spec *Spec, p prober, emit func(Sample) bool) {
	n := int(spec.For / spec.Interval)
	first := 0
	if notBefore > 0 {
		first = int((notBefore + spec.Interval - 1) / spec.Interval)
		if first > n {
			first, n = 0, 0
			start = start.Add(notBefore)
		}
	}
	for k := first; k <= n; k++ {
		if k > 0 || notBefore > 0 {
			wait := time.Until(start.Add(time.Duration(k) * spec.Interval))
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		sctx, cancel := context.WithTimeout(ctx, spec.Interval)
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
