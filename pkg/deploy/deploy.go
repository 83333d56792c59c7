package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/apply"
	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/plan"
	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/release/store"
	"github.com/shipsafe/shipsafe/pkg/track"
)

// Defaults of Options.
const (
	DefaultTimeout         = 5 * time.Minute
	DefaultRollbackTimeout = 2 * time.Minute
	DefaultHistoryMax      = 10
)

// Options are the inputs of one Deploy.
type Options struct {
	Release   string
	Namespace string
	Objects   []*unstructured.Unstructured
	// Hooks run before (pre-install, pre-upgrade) and after (post-install, post-upgrade)
	// Objects are applied and ready; see Hook. The revision records them, so that a
	// rollback to it runs its rollback hooks and an uninstall its delete hooks.
	Hooks []release.Hook
	// NoHooks runs none of Hooks (rollback --no-hooks, import-helm); they are still
	// recorded.
	NoHooks bool
	// RenderedFor, for a chart, is the release state its templates saw. Once the lock is
	// held, Run checks it against the history and returns ErrStaleRender, having changed
	// nothing, when another deploy got in between.
	RenderedFor *RenderedFor
	// Source describes where the objects came from, for history ("-f k8s/").
	Source string
	// Description is one line for history; "install", "upgrade" or "rollback to N".
	Description string
	// Timeout bounds applying and waiting for readiness.
	Timeout time.Duration
	// RollbackTimeout bounds the automatic rollback, which runs even after a signal.
	RollbackTimeout time.Duration
	// LockWait is how long to wait for another deploy of the release to finish.
	LockWait time.Duration
	// NoRollback leaves a failed revision in place instead of rolling back.
	NoRollback bool
	// ForceConflicts takes fields other field managers own.
	ForceConflicts bool
	// Adopt takes over existing objects not managed by this release.
	Adopt bool
	// TakeOverFrom names field managers (a previous tool's, e.g. Helm's "helm") whose
	// managedFields entries are removed after applying, so shipsafe owns the fields alone.
	TakeOverFrom []string
	// HistoryMax is how many revisions to keep (0 = DefaultHistoryMax, <0 = all).
	HistoryMax int
	// Stop, when closed (a second signal), ends any wait of the rollback at once; the
	// record is still written.
	Stop <-chan struct{}
	// OnEvent receives progress; it is called from one goroutine at a time.
	OnEvent func(Event)

	// rollback is set by Rollback: the *-rollback hooks run instead of install/upgrade.
	rollback bool
}

func (o *Options) setDefaults() {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.RollbackTimeout <= 0 {
		o.RollbackTimeout = DefaultRollbackTimeout
	}
	if o.HistoryMax == 0 {
		o.HistoryMax = DefaultHistoryMax
	}
}

// RenderedFor is what a chart's templates were told of the release: .Release.Revision and
// .Release.IsUpgrade.
type RenderedFor struct {
	Revision int
	Upgrade  bool
}

// checkRendered returns ErrStaleRender when the history revs no longer is what the
// objects were rendered for (nil when they were not rendered for a history).
func checkRendered(rendered *RenderedFor, revs []*release.Revision) error {
	if rendered == nil {
		return nil
	}
	now := RenderedFor{Revision: release.NextNumber(revs), Upgrade: release.LastDeployed(revs) != nil}
	if *rendered == now {
		return nil
	}
	return fmt.Errorf("%w: it was rendered as revision %d (%s), but the release is now at revision %d (%s)",
		ErrStaleRender, rendered.Revision, installOrUpgrade(rendered.Upgrade), now.Revision, installOrUpgrade(now.Upgrade))
}

func installOrUpgrade(upgrade bool) string {
	if upgrade {
		return "upgrade"
	}
	return "install"
}

// Result is the outcome of a successful Deploy.
type Result struct {
	Release  string         `json:"release"`
	Revision int            `json:"revision"`
	Status   release.Status `json:"status"`
	Tracked  track.Result   `json:"tracked"`
	// Recovered names an interrupted revision this deploy found and restored first.
	Recovered int           `json:"recovered,omitempty"`
	Pruned    []string      `json:"pruned,omitempty"`
	Duration  time.Duration `json:"duration"`
}

// Deploy installs or upgrades a release.
type Deploy struct {
	cfg *Config
}

// NewDeploy returns the deploy action.
func NewDeploy(cfg *Config) *Deploy { return &Deploy{cfg: cfg} }

// Run deploys opts.Objects as a new revision of opts.Release. It returns a Result when the
// revision is deployed and ready; an *InputError when nothing was changed because the
// input is wrong; a *release.HeldError when another deploy holds the release; a
// *FailedError when the revision failed (and was rolled back unless NoRollback).
// Cancelling ctx (a signal) fails the revision and rolls back under its own timeout.
func (d *Deploy) Run(ctx context.Context, opts Options) (*Result, error) {
	start := d.cfg.now()
	opts.setDefaults()
	ev := &emitter{fn: opts.OnEvent, clock: d.cfg.now}
	if err := release.ValidateName(opts.Release); err != nil {
		return nil, &InputError{Err: err}
	}
	ev.step(fmt.Sprintf("validating %d objects with a server-side dry run", len(opts.Objects)))
	objs, err := d.prepare(ctx, &opts)
	if err != nil {
		return nil, stoppedBeforeChange(ctx, opts.Release, err)
	}

	lock, err := d.cfg.locker(opts.Namespace, opts.Release).Acquire(ctx, opts.LockWait)
	if err != nil {
		return nil, stoppedBeforeChange(ctx, opts.Release, fmt.Errorf("lock release %q: %w", opts.Release, err))
	}
	defer func() {
		rctx, cancel := detached(ctx, recordTimeout)
		defer cancel()
		if err := lock.Release(rctx); err != nil {
			d.cfg.logger().Warn("release lock", "release", opts.Release, "err", err)
		}
	}()
	// Losing the lock (renewals failed) means another deploy may take over: stop.
	ctx, cancelLost := context.WithCancelCause(ctx)
	defer cancelLost(nil)
	go func() {
		select {
		case <-lock.Lost():
			cancelLost(errors.New("lost the release lock"))
		case <-ctx.Done():
		}
	}()

	recovered, err := d.recoverInterrupted(ctx, &opts, ev)
	if err != nil {
		return nil, err
	}
	revs, err := d.cfg.Store.History(ctx, opts.Release)
	if err != nil {
		return nil, stoppedBeforeChange(ctx, opts.Release, fmt.Errorf("read history of %q: %w", opts.Release, err))
	}
	if err := checkRendered(opts.RenderedFor, revs); err != nil {
		return nil, stoppedBeforeChange(ctx, opts.Release, err)
	}
	last := release.LastDeployed(revs)
	existing, err := d.cfg.Applier.Existing(ctx, objs)
	if err != nil {
		return nil, stoppedBeforeChange(ctx, opts.Release, fmt.Errorf("list existing objects: %w", err))
	}
	rev := &release.Revision{
		Release:     opts.Release,
		Namespace:   opts.Namespace,
		Number:      release.NextNumber(revs),
		Status:      release.StatusPending,
		Objects:     objs,
		Hooks:       opts.Hooks,
		Source:      opts.Source,
		Holder:      d.cfg.Holder,
		StartedAt:   d.cfg.now(),
		Description: opts.Description,
	}
	if rev.Description == "" {
		rev.Description = "upgrade"
		if last == nil {
			rev.Description = "install"
		}
	}
	for _, o := range objs {
		if _, ok := existing[manifest.KeyOf(o)]; !ok {
			rev.Created = append(rev.Created, release.RefOf(o))
		}
	}
	// The pending record, with what it will create, is written before anything changes,
	// so that cleanup works even if this process is killed. It is written whole or not at
	// all even if a signal arrives meanwhile; the signal is then handled like any other.
	if err := ctx.Err(); err != nil {
		return nil, stoppedBeforeChange(ctx, opts.Release, err)
	}
	cctx, cancel := detached(ctx, recordTimeout)
	err = d.cfg.Store.Create(cctx, rev)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("record revision %d of %q: %w", rev.Number, opts.Release, err)
	}
	ev.step(fmt.Sprintf("revision %d (%s): applying %d objects (%d new)", rev.Number, rev.Description, len(objs), len(rev.Created)))

	preHooks, postHooks := hookEvents(opts.rollback, last == nil)
	failure := d.runHooks(ctx, preHooks, &opts, ev)
	var tracked track.Result
	if failure == nil {
		tracked, failure = d.applyAndTrack(ctx, objs, &opts, ev)
	}
	if failure == nil {
		failure = d.runHooks(ctx, postHooks, &opts, ev)
	}
	if failure != nil {
		return nil, d.fail(ctx, &opts, rev, last, failure, tracked, ev)
	}
	pruned := d.prune(ctx, revs, last, objs, ev)
	if err := d.markDeployed(ctx, &opts, rev, last); err != nil {
		return nil, err
	}
	return &Result{
		Release: opts.Release, Revision: rev.Number, Status: rev.Status, Tracked: tracked,
		Recovered: recovered, Pruned: pruned, Duration: d.cfg.now().Sub(start),
	}, nil
}

// failure says why a revision did not become ready.
type failure struct {
	reason   string
	evidence []string
}

// evidenceLines returns the evidence as indented lines after a newline, or "".
func (f *failure) evidenceLines() string {
	if len(f.evidence) == 0 {
		return ""
	}
	return "\n  " + strings.Join(f.evidence, "\n  ")
}

// applyAndTrack applies objs and waits until they are ready, within opts.Timeout.
func (d *Deploy) applyAndTrack(ctx context.Context, objs []*unstructured.Unstructured, opts *Options, ev *emitter) (track.Result, *failure) {
	wctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	applied, err := d.cfg.Applier.Apply(wctx, objs, apply.Options{
		Force: opts.ForceConflicts,
		OnApplied: func(o *unstructured.Unstructured) {
			ev.emit(Event{Kind: Applied, Object: manifest.KeyOf(o).String()})
		},
		OnTakeover: func(k manifest.Key, took apply.Takeover) {
			ev.emit(Event{Kind: Warning, Object: k.String(), Message: fmt.Sprintf(
				"%s: took back %s, changed by hand by %s", k, strings.Join(took.Fields, ", "), strings.Join(took.Managers, ", "))})
		},
	})
	if err != nil {
		return track.Result{}, &failure{reason: interruption(ctx, wctx, opts.Timeout, fmt.Sprintf("apply: %v", err))}
	}
	if len(opts.TakeOverFrom) > 0 {
		if err := d.cfg.Applier.DropManagers(wctx, objs, opts.TakeOverFrom); err != nil {
			return track.Result{}, &failure{reason: interruption(ctx, wctx, opts.Timeout, fmt.Sprintf("take ownership: %v", err))}
		}
	}
	ev.step(fmt.Sprintf("waiting for %d objects to be ready (timeout %s)", len(objs), opts.Timeout))
	res, err := d.cfg.Tracker.Run(wctx, asApplied(objs, applied), ev.track)
	switch {
	case err != nil:
		return res, &failure{reason: interruption(ctx, wctx, opts.Timeout, notReady(res, err)), evidence: res.Evidence}
	case res.Failed:
		return res, &failure{reason: fmt.Sprintf("%s: %s: %s", res.Object, res.Reason, res.Message), evidence: res.Evidence}
	}
	return res, nil
}

// asApplied returns objs in their order, each replaced by the object the server answered
// its apply with, when there is one: that copy carries the generation and resourceVersion
// the apply produced, by which tracking can tell an older cached copy from it.
func asApplied(objs, applied []*unstructured.Unstructured) []*unstructured.Unstructured {
	live := manifest.Index(applied)
	out := make([]*unstructured.Unstructured, len(objs))
	for i, o := range objs {
		out[i] = o
		if l, ok := live[manifest.KeyOf(o)]; ok {
			out[i] = l
		}
	}
	return out
}

// interruption names why work stopped: a signal (ctx cancelled), the timeout, or detail.
func interruption(parent, work context.Context, timeout time.Duration, detail string) string {
	switch {
	case parent.Err() != nil:
		cause := context.Cause(parent)
		if errors.Is(cause, context.Canceled) {
			return "interrupted (signal or cancelled) while " + detail
		}
		return fmt.Sprintf("interrupted (%v) while %s", cause, detail)
	case errors.Is(work.Err(), context.DeadlineExceeded):
		return fmt.Sprintf("timed out after %s: %s", timeout, detail)
	}
	return detail
}

// notReady describes the objects that were not ready when tracking stopped.
func notReady(res track.Result, err error) string {
	nr := res.NotReady()
	if len(nr) == 0 {
		return fmt.Sprintf("waiting: %v", err)
	}
	s := "waiting for "
	for i, o := range nr {
		if i == 3 {
			s += fmt.Sprintf(" and %d more", len(nr)-3)
			break
		}
		if i > 0 {
			s += "; "
		}
		if o.Status.Phase == "" {
			s += fmt.Sprintf("%s (not observed yet)", o.Ref)
			continue
		}
		s += fmt.Sprintf("%s (%s %s)", o.Ref, o.Status.Phase, o.Status.Message)
	}
	return s
}

// prune deletes objects of the last deployed revision that the new one no longer has,
// and those that failed revisions since then created and left behind (plan.Prune).
// A failed prune is a warning: the new revision is deployed and ready.
func (d *Deploy) prune(ctx context.Context, revs []*release.Revision, last *release.Revision, objs []*unstructured.Unstructured, ev *emitter) []string {
	left, err := leftovers(ctx, d.cfg, revs, last)
	if err != nil {
		ev.emit(Event{Kind: Warning, Message: fmt.Sprintf("prune: %v; deploy again to retry", err)})
	}
	gone := plan.Prune(last, left, objs)
	if len(gone) == 0 {
		return nil
	}
	deleted, err := d.cfg.Applier.Delete(ctx, gone)
	var names []string
	for _, o := range deleted {
		name := manifest.KeyOf(o).String()
		names = append(names, name)
		ev.emit(Event{Kind: Pruned, Object: name})
	}
	if err != nil {
		ev.emit(Event{Kind: Warning, Message: fmt.Sprintf("prune: %v; delete those objects by hand or deploy again", err)})
	}
	return names
}

// markDeployed records rev as deployed and the previous deployed revision as
// superseded, then trims history.
func (d *Deploy) markDeployed(ctx context.Context, opts *Options, rev, last *release.Revision) error {
	rctx, cancel := detached(ctx, recordTimeout)
	defer cancel()
	now := d.cfg.now()
	if err := rev.Transition(release.StatusDeployed, now); err != nil {
		return err
	}
	if err := d.cfg.Store.Update(rctx, rev); err != nil {
		return fmt.Errorf("record revision %d of %q as deployed: %w; the objects are deployed and ready, "+
			"but the next deploy will treat this revision as interrupted", rev.Number, rev.Release, err)
	}
	if last != nil {
		if err := last.Transition(release.StatusSuperseded, now); err == nil {
			if err := d.cfg.Store.Update(rctx, last); err != nil {
				return fmt.Errorf("record revision %d of %q as superseded: %w", last.Number, last.Release, err)
			}
		}
	}
	if opts.HistoryMax > 0 {
		if _, err := store.Prune(rctx, d.cfg.Store, rev.Release, opts.HistoryMax); err != nil {
			d.cfg.logger().Warn("trim history", "release", rev.Release, "err", err)
		}
	}
	return nil
}
