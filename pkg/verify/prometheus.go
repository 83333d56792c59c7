package verify

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"sort"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// promProber runs a PromQL query and judges every series of its result.
type promProber struct {
	name  string
	check *PrometheusCheck
	url   string
	api   promv1.API
	now   func() time.Time
	// baseline is the query's mean before the deploy (nil: none); see loadBaseline.
	baseline     *float64
	baselineNote string
}

// newPromProber queries the Prometheus API at address (over rt, nil: the default
// transport); where names it in messages.
func newPromProber(name string, c *PrometheusCheck, address, where string, rt http.RoundTripper, now func() time.Time) (*promProber, error) {
	client, err := api.NewClient(api.Config{Address: address, RoundTripper: rt})
	if err != nil {
		return nil, fmt.Errorf("prometheus %s: %w", where, err)
	}
	return &promProber{name: name, check: c, url: where, api: promv1.NewAPI(client), now: now}, nil
}

func (p *promProber) query() string { return p.check.Query }

// rangeSelector matches a PromQL range or subquery: [1m], [30s], [5m:1m].
var rangeSelector = regexp.MustCompile(`\[([0-9][0-9a-z]*)(?::[0-9a-z]*)?\]`)

// warmup is the longest range in the query: before that much time has passed since the
// release became ready, a rate still mixes in the previous version's samples (or, in a
// rollback, the failed version's), so the check takes no sample in the window before
// it, unless it was sampled during the rollout (it asked for the mix then).
func (p *promProber) warmup() time.Duration {
	var longest time.Duration
	for _, m := range rangeSelector.FindAllStringSubmatch(p.check.Query, -1) {
		if d, err := model.ParseDuration(m[1]); err == nil && time.Duration(d) > longest {
			longest = time.Duration(d)
		}
	}
	return longest
}

// threshold is the condition samples are judged by, relative to the baseline if any.
func (p *promProber) threshold() Condition {
	return p.check.Condition.Threshold(p.check.BaselineFactor, p.baseline)
}

func (p *promProber) probe(ctx context.Context) Sample {
	at := p.now()
	s := Sample{Check: p.name, Time: at, Threshold: p.threshold().String()}
	val, _, err := p.api.Query(ctx, p.check.Query, at)
	if err != nil {
		s.Outcome, s.Detail = Inconclusive, fmt.Sprintf("Prometheus at %s: %v", p.url, err)
		return s
	}
	series := seriesOf(val)
	s.Outcome, s.Value, s.Detail = judgeSeries(series, p.threshold())
	return s
}

// series is one labelled value of a query result.
type series struct {
	labels string
	value  float64
}

// seriesOf flattens an instant query's result.
func seriesOf(val model.Value) []series {
	switch v := val.(type) {
	case *model.Scalar:
		return []series{{value: float64(v.Value)}}
	case model.Vector:
		out := make([]series, 0, len(v))
		for _, s := range v {
			out = append(out, series{labels: s.Metric.String(), value: float64(s.Value)})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].labels < out[j].labels })
		return out
	}
	return nil
}

// judgeSeries judges every series by cond: a failing series fails the sample; no series
// or a NaN (0/0: no traffic) is inconclusive. The value reported is the failing or NaN
// series' (labelled when there are several), else the first one's.
func judgeSeries(ss []series, cond Condition) (Outcome, string, string) {
	if len(ss) == 0 {
		return Inconclusive, "", "no data: the query returned no series"
	}
	describe := func(s series) string {
		if len(ss) == 1 || s.labels == "" || s.labels == "{}" {
			return formatValue(s.value)
		}
		return formatValue(s.value) + " " + s.labels
	}
	for _, s := range ss {
		if !math.IsNaN(s.value) && !cond.Holds(s.value) {
			return Fail, describe(s), ""
		}
	}
	for _, s := range ss {
		if math.IsNaN(s.value) {
			return Inconclusive, describe(s), "the query's value is NaN (no traffic to divide by?)"
		}
	}
	return Pass, describe(ss[0]), ""
}

// loadBaseline sets the baseline to the query's mean over window before since, or
// leaves it nil with a note saying why (then the absolute bound alone applies).
func (p *promProber) loadBaseline(ctx context.Context, since time.Time, window time.Duration) {
	from := since.Add(-window)
	span := fmt.Sprintf("%s-%s", from.UTC().Format("15:04:05"), since.UTC().Format("15:04:05"))
	step := max(window/20, time.Second)
	val, _, err := p.api.QueryRange(ctx, p.check.Query, promv1.Range{Start: from, End: since, Step: step})
	if err != nil {
		p.baselineNote = fmt.Sprintf("unknown (Prometheus at %s: %v); the threshold is the absolute bound %s", p.url, err, p.check.Condition)
		return
	}
	var sum float64
	var n int
	if m, ok := val.(model.Matrix); ok {
		for _, s := range m {
			for _, v := range s.Values {
				if f := float64(v.Value); !math.IsNaN(f) && !math.IsInf(f, 0) {
					sum += f
					n++
				}
			}
		}
	}
	if n == 0 {
		p.baselineNote = fmt.Sprintf("no data in the window before the deploy (%s); the threshold is the absolute bound %s", span, p.check.Condition)
		return
	}
	b := sum / float64(n)
	p.baseline = &b
	p.baselineNote = fmt.Sprintf("%s (mean of %d points, %s); threshold %s = %s x baseline bounded by %s",
		formatValue(b), n, span, p.threshold(), formatValue(p.check.BaselineFactor), p.check.Condition)
}
