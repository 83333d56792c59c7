package track

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/clock"

	"github.com/shipsafe/shipsafe/pkg/health"
)

// Defaults of Config.
const (
	DefaultResync          = time.Minute
	DefaultLogLines        = 20
	DefaultEvidenceTimeout = 10 * time.Second
)

// Config holds the clients and settings of a Tracker. Dynamic, Typed and Mapper are
// required; the rest have defaults.
type Config struct {
	// Dynamic watches the tracked objects, whatever their kind.
	Dynamic dynamic.Interface
	// Typed watches pods, ReplicaSets, EndpointSlices, ControllerRevisions and Events, and
	// reads container logs.
	Typed kubernetes.Interface
	// Mapper maps each object's kind to its resource. A meta.ResettableRESTMapper is reset
	// once when a kind is not found (a CRD applied moments ago).
	Mapper meta.RESTMapper
	// Health tunes how fast pods are judged Failed.
	Health health.Options
	// Clock gives "now" to health checks and runs the timers of graces (default: real).
	Clock clock.Clock
	// Logger receives the tracker's diagnostics, such as a watch being resumed (default:
	// discarded).
	Logger *slog.Logger
	// Resync re-delivers every cached object this often, a safety net that re-evaluates
	// without any API request (default DefaultResync).
	Resync time.Duration
	// LogLines is how many trailing lines of the failing container's current and previous
	// logs are gathered as evidence (default DefaultLogLines).
	LogLines int64
	// EvidenceTimeout bounds the requests that gather evidence after a failure (default
	// DefaultEvidenceTimeout).
	EvidenceTimeout time.Duration
}

// Tracker follows applied objects until they are ready or one fails. It holds no state
// between runs: one Tracker may serve several Run calls, even at once.
type Tracker struct {
	cfg Config
}

// New returns a Tracker; zero fields of cfg take their defaults.
func New(cfg Config) *Tracker {
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Resync <= 0 {
		cfg.Resync = DefaultResync
	}
	if cfg.LogLines <= 0 {
		cfg.LogLines = DefaultLogLines
	}
	if cfg.EvidenceTimeout <= 0 {
		cfg.EvidenceTimeout = DefaultEvidenceTimeout
	}
	cfg.Health = cfg.Health.WithDefaults()
	return &Tracker{cfg: cfg}
}

// Run watches objs (as applied: kind, namespace and name set), but for those
// opts.Unchanged names that are Ready when it starts (see RunOptions), and returns:
//   - when every object is Ready: a Result with Failed false and a nil error;
//   - as soon as one object is Failed: a Result with Failed true, the object, reason and
//     evidence, and a nil error (a failed rollout is a verdict, not an error of Run);
//   - when ctx ends first: the Result with every object's current status and an error
//     wrapping ctx.Err() that names the objects not ready.
//
// Any other error means tracking could not start (a kind unknown to the API server, a
// namespaced object with no namespace) or cannot go on: a list or watch the API server
// forbids ends Run at once with a *ForbiddenError, since waiting would not help. A watch
// closed by the API server, or the API server restarting, is resumed and never reported
// as a failure.
//
// emit receives the event stream (see EventType); it is called from the goroutine that
// called Run, never concurrently, and must not block for long. It may be nil.
func (t *Tracker) Run(ctx context.Context, objs []*unstructured.Unstructured, opts RunOptions, emit func(Event)) (Result, error) {
	if t.cfg.Dynamic == nil || t.cfg.Typed == nil || t.cfg.Mapper == nil {
		return Result{}, errors.New("track: Config needs Dynamic, Typed and Mapper clients")
	}
	if emit == nil {
		emit = func(Event) {}
	}
	r := &run{
		cfg:     t.cfg,
		emit:    emit,
		start:   t.cfg.Clock.Now(),
		wake:    make(chan struct{}, 1),
		denied:  make(chan error, 1),
		watches: map[string]*nsWatch{},
		seen:    map[string]bool{},
	}
	targets, err := r.resolve(objs, opts.Unchanged)
	if err != nil {
		return Result{}, err
	}
	r.targets = targets
	if err := r.settleUnchanged(ctx); err != nil {
		return r.stopped(err)
	}
	return r.loop(ctx)
}

// run is the state of one Run call; only its loop goroutine touches it, except wake,
// denied and synced, which informer callbacks use.
type run struct {
	cfg     Config
	emit    func(Event)
	start   time.Time
	targets []*target
	watches map[string]*nsWatch // by namespace
	wake    chan struct{}
	denied  chan error // the first *ForbiddenError of an informer
	synced  atomic.Bool
	seen    map[string]bool // Warning events already emitted, by dedupe key
	owners  owners          // who each pod, ReplicaSet and tracked object belongs to
}

// poke asks the loop to evaluate again; bursts of changes collapse into one evaluation.
func (r *run) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *run) loop(ctx context.Context) (Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	factories := r.startWatches(ctx, &wg)
	defer func() {
		cancel()
		for _, f := range factories {
			f.Shutdown()
		}
		wg.Wait()
	}()

	var timer clock.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		var timerC <-chan time.Time
		if r.synced.Load() {
			now := r.cfg.Clock.Now()
			v := r.evaluate(now)
			switch {
			case v.failed >= 0:
				return r.failure(ctx, v.failed)
			case v.allReady:
				return r.success()
			}
			if timer != nil {
				timer.Stop()
				timer = nil
			}
			if !v.recheckAt.IsZero() {
				timer = r.cfg.Clock.NewTimer(max(v.recheckAt.Sub(now), 10*time.Millisecond))
				timerC = timer.C()
			}
		}
		select {
		case <-ctx.Done():
			return r.interrupted(ctx.Err())
		case err := <-r.denied:
			return r.stopped(err)
		case <-r.wake:
		case <-timerC:
		}
	}
}

// waitSynced marks the run synced, and wakes the loop, once every informer has listed.
func (r *run) waitSynced(ctx context.Context, synced []cache.InformerSynced) {
	if cache.WaitForCacheSync(ctx.Done(), synced...) {
		r.synced.Store(true)
		r.poke()
	}
}

// verdict sums up one evaluation.
type verdict struct {
	failed    int // index of the first Failed target, or -1
	allReady  bool
	recheckAt time.Time
}

// evaluate re-runs health.Check on every target, emits status changes and new Warning
// events.
func (r *run) evaluate(now time.Time) verdict {
	v := verdict{failed: -1, allReady: true}
	rels := map[string]health.Related{}
	r.owners = newOwners()
	for i, tg := range r.targets {
		if tg.settled {
			continue // Ready when the run started; not watched
		}
		obj := tg.current()
		rel := r.related(tg.ref.Namespace, rels)
		st := tg.check(obj, rel, r.cfg.Health, now)
		r.owners.add(i, tg, obj, rel)
		if !tg.reported || !st.Equal(tg.status) {
			tg.reported = true
			r.emitAt(now, Event{Type: StatusChanged, Object: tg.ref, Status: st, Unchanged: tg.unchanged})
		}
		switch {
		case st.Phase == health.Ready && tg.readyAt.IsZero():
			tg.readyAt = now
		case st.Phase != health.Ready:
			tg.readyAt = time.Time{}
		}
		tg.status = st
		if st.Phase == health.Failed && v.failed < 0 {
			v.failed = i
		}
		if st.Phase != health.Ready {
			v.allReady = false
		}
		v.recheckAt = health.Earliest(v.recheckAt, st.RecheckAt)
	}
	r.emitWarnings(now)
	return v
}

func (r *run) emitAt(now time.Time, e Event) {
	e.Time, e.Elapsed = now, now.Sub(r.start)
	r.emit(e)
}

func (r *run) results() []ObjectResult {
	out := make([]ObjectResult, len(r.targets))
	for i, tg := range r.targets {
		out[i] = ObjectResult{Ref: tg.ref, Status: tg.status, Unchanged: tg.unchanged}
		if !tg.readyAt.IsZero() {
			out[i].ReadyAfter = tg.readyAt.Sub(r.start)
		}
	}
	return out
}

func (r *run) success() (Result, error) {
	now := r.cfg.Clock.Now()
	res := Result{Objects: r.results(), Duration: now.Sub(r.start)}
	r.emitAt(now, Event{Type: Done, Message: fmt.Sprintf("all %d objects ready", len(r.targets))})
	return res, nil
}

// stopped ends the run on an error that waiting would not cure.
func (r *run) stopped(err error) (Result, error) {
	now := r.cfg.Clock.Now()
	r.emitAt(now, Event{Type: Done, Message: "stopped: " + err.Error()})
	return Result{Objects: r.results(), Duration: now.Sub(r.start)}, err
}

func (r *run) interrupted(cause error) (Result, error) {
	now := r.cfg.Clock.Now()
	res := Result{Objects: r.results(), Duration: now.Sub(r.start)}
	var waiting []string
	for _, tg := range r.targets {
		if tg.status.Phase == health.Ready {
			continue
		}
		msg := tg.status.Message
		if !r.synced.Load() {
			msg = "its watch never finished listing"
		}
		waiting = append(waiting, fmt.Sprintf("%s (%s)", tg.ref, msg))
		res.Evidence = append(res.Evidence, tg.warnings...)
	}
	summary := fmt.Sprintf("%d of %d objects not ready: %s", len(waiting), len(r.targets), strings.Join(waiting, "; "))
	r.emitAt(now, Event{Type: Done, Message: "interrupted: " + summary})
	return res, fmt.Errorf("track: %s: %w", summary, cause)
}
