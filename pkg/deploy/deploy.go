package deploy

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/apply"
	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/plan"
	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/release/store"
	"github.com/shipsafe/shipsafe/pkg/track"
	"github.com/shipsafe/shipsafe/pkg/verify"
)

// Result is the outcome of a successful Deploy.
type Result struct {
	Release  string         `json:"release"`
	Revision int            `json:"revision"`
	Status   release.Status `json:"status"`
	Tracked  track.Result   `json:"tracked"`
	// Verified is the verdict of the revision's checks (nil: it has none).
	Verified *verify.Verdict `json:"verified,omitempty"`
	// Recovered names an interrupted revision this deploy found and restored first.
	Recovered int      `json:"recovered,omitempty"`
	Pruned    []string `json:"pruned,omitempty"`
	// Applied names the objects this deploy applied; the other objects of the revision
	// (Unchanged of them) were as the last deployed revision applied them and untouched
	// since, so they were skipped.
	Applied   []string      `json:"applied,omitempty"`
	Unchanged int           `json:"unchanged,omitempty"`
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
func (d *Deploy) Run(ctx context.Context, opts DeployOptions) (*Result, error) {
	return d.run(ctx, spec{DeployOptions: opts})
}

// run is the deploy flow: validate, lock, recover, record pending, hooks, apply and track,
// hooks, then prune and record deployed; or, on any failure, fail (restore and record).
func (d *Deploy) run(ctx context.Context, s spec) (_ *Result, err error) {
	start := d.cfg.now()
	s.setDefaults()
	s.records = newRecords(d.cfg.Store, s.Release)
	ev := newEmitter(s.OnEvent, d.cfg.now)
	if err := release.ValidateName(s.Release); err != nil {
		return nil, &InputError{Err: err}
	}
	// Records of the release prove its namespace exists: the history read the deploy
	// makes anyway spares the namespace's.
	if sums, err := s.records.readEarly(ctx); err != nil || len(sums) == 0 {
		missing, err := d.namespaceMissing(ctx, &s)
		if err != nil {
			return nil, stoppedBeforeChange(ctx, s.Release, err)
		}
		s.namespaceMissing = missing
	}
	ev.step(fmt.Sprintf("validating %d objects (a server-side dry run of those changed since the last deployed revision)", len(s.Objects)))
	objs, err := d.prepare(ctx, &s)
	if err != nil {
		return nil, stoppedBeforeChange(ctx, s.Release, err)
	}
	if len(s.leftCRDs) > 0 {
		ev.step(leftCRDsMessage(s.leftCRDs))
	}
	if s.namespaceMissing {
		if err := d.createNamespace(ctx, objs, &s, ev); err != nil {
			return nil, err
		}
	}

	lock, err := d.cfg.Locker.Acquire(ctx, s.Namespace, s.Release, s.LockWait)
	if err != nil {
		return nil, stoppedBeforeChange(ctx, s.Release, fmt.Errorf("lock release %q: %w", s.Release, err))
	}
	defer releaseLock(ctx, lock, s.Release, ev)
	s.RunOptions.lock = lock
	// Losing the lock (see release.Lock) means another deploy may take over: stop at
	// once, without restoring (writes are refused anyway); the next holder recovers.
	defer func() { err = lockLost(s.Release, err) }()
	ctx, cancelLost := context.WithCancelCause(ctx)
	defer cancelLost(nil)
	go func() {
		select {
		case <-lock.Lost():
			cancelLost(lostCause(lock))
		case <-ctx.Done():
		}
	}()

	recovered, revs, next, err := d.recoverInterrupted(ctx, s.records, s.RunOptions, ev)
	if err != nil {
		return nil, err
	}
	if revs == nil {
		// A recovery wrote records: read what is needed again.
		sums, n, err := s.records.summaries(ctx, nil)
		if err == nil {
			revs, err = s.records.needed(ctx, sums)
		}
		if err != nil {
			return nil, stoppedBeforeChange(ctx, s.Release, err)
		}
		next = n
	}
	if err := checkRendered(s.RenderedFor, revs, next); err != nil {
		return nil, stoppedBeforeChange(ctx, s.Release, err)
	}
	last := release.LastDeployed(revs)
	rev, err := d.recordPending(ctx, &s, objs, next, last)
	if err != nil {
		return nil, err
	}
	ev.step(fmt.Sprintf("revision %d (%s): applying %d objects (%d new)", rev.Number, rev.Description, len(objs), len(rev.Created)))

	hooks := d.hookRunner(&s, ev)
	pre, post := hookEvents(s.rollback, last == nil)
	failure := hooks.run(ctx, pre)
	var tracked track.Result
	toApply := plan.Changed(objs, rev.Applied)
	checks := newVerification(d.cfg, rev, start, ev)
	checks.rollback = s.rollback
	if failure == nil {
		tracked, failure = d.applyAndTrack(ctx, objs, rev, &s, ev, func() {
			// Recovery reads what this checkpoint records, the resourceVersions the apply
			// gave, only to put adopted objects back (putBack); for any other
			// revision it would cost a record write that nothing reads: the Ready
			// checkpoint follows.
			if len(toApply) > 0 && len(rev.Adopted) > 0 {
				_ = d.checkpoint(ctx, rev, func(p *release.Progress) { p.Applied = true }, ev)
			}
		}, checks.duringRollout)
	}
	if failure == nil {
		failure = hooks.run(ctx, post)
	}
	var verdict *verify.Verdict
	if failure == nil {
		verdict, failure = checks.window(ctx)
	}
	rev.Verified = recordOf(checks.judged)
	if failure != nil {
		return nil, d.fail(ctx, &s.RunOptions, rev, last, failure, ev)
	}
	gone := d.pruneSet(ctx, revs, last, rev, ev)
	// The Ready checkpoint makes recovery complete, rather than undo, a revision whose
	// deploy stopped after it was ready. It is written before a prune, which may take a
	// while. With nothing to prune the deployed write follows at once, and a deploy
	// killed before either write lands is undone all the same: then it is written only
	// if the deployed write fails (markDeployed), and never for a revision that applied,
	// ran and checked nothing, whose undoing changes nothing.
	worthCompleting := len(toApply) > 0 || len(rev.Hooks) > 0 || rev.Verification != nil || last == nil
	if len(gone) > 0 {
		_ = d.checkpoint(ctx, rev, func(p *release.Progress) { p.Ready = true }, ev)
	}
	pruned, unpruned := d.pruneObjects(ctx, gone, revs, rev, ev)
	rev.Unpruned = unpruned
	// With nothing pruned, a recovery that prunes again finds nothing to do either: the
	// checkpoint would only cost a record write.
	if len(pruned) > 0 || len(unpruned) > 0 {
		_ = d.checkpoint(ctx, rev, func(p *release.Progress) { p.Pruned = true }, ev)
	}
	if err := d.markDeployed(ctx, &s.RunOptions, rev, revs, s.records, worthCompleting, ev); err != nil {
		return nil, err
	}
	return &Result{
		Release: s.Release, Revision: rev.Number, Status: rev.Status, Tracked: tracked, Verified: verdict,
		Recovered: recovered, Pruned: pruned, Duration: d.cfg.now().Sub(start),
		Applied: appliedKeys(toApply), Unchanged: len(objs) - len(toApply),
	}, nil
}

// releaseLock gives lock up even after ctx ended; a failure is a Warning event (the lock
// expires on its own after its TTL).
func releaseLock(ctx context.Context, lock Lock, rel string, ev *emitter) {
	rctx, cancel := detached(ctx, recordTimeout)
	defer cancel()
	if err := lock.Release(rctx); err != nil {
		ev.warn(fmt.Sprintf("release the lock of %q: %v; it expires on its own, or delete Lease %s", rel, err, release.LeaseName(rel)))
	}
}

// recordPending writes the new revision as pending, with its objects and what it will
// newly create (the objs that do not exist yet) and the state of those it need not apply
// (plan.Unchanged), before anything changes, so that cleanup works even if this process
// is killed. Both come from prepare's listing of the cluster when no record of the
// release was written since (listing.stillValid), else from a LIST under the lock. It
// is written whole or not at all even if a signal arrives meanwhile; the signal is then
// handled like any other.
func (d *Deploy) recordPending(ctx context.Context, s *spec, objs []*unstructured.Unstructured, next int, last *release.Revision) (*release.Revision, error) {
	listed := s.listed.stillValid(s)
	if listed == nil {
		existing, err := d.cfg.Cluster.Existing(ctx, objs)
		if err != nil {
			return nil, stoppedBeforeChange(ctx, s.Release, fmt.Errorf("list existing objects: %w", err))
		}
		listed = &listing{existing: existing}
	}
	existing := listed.existing
	rev := &release.Revision{
		Release:      s.Release,
		Namespace:    s.Namespace,
		Number:       next,
		Status:       release.StatusPending,
		Objects:      objs,
		Hooks:        s.Hooks,
		Verification: s.Verification,
		Source:       s.Source,
		Holder:       d.cfg.Holder,
		StartedAt:    d.cfg.now(),
		Description:  s.description,
		Chart:        s.Chart,
		Labels:       s.Labels,
	}
	if s.Description != "" {
		rev.Description = s.Description
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
	if err := d.recordPriors(ctx, rev, plan.Adopting(objs, existing, ownerOf(rev))); err != nil {
		return nil, stoppedBeforeChange(ctx, s.Release, err)
	}
	if listed.known && listed.last == last {
		rev.Applied = maps.Clone(listed.unchanged)
	} else {
		applied, err := plan.Unchanged(objs, last, existing)
		if err != nil {
			return nil, stoppedBeforeChange(ctx, s.Release, err)
		}
		rev.Applied = applied
	}
	if err := ctx.Err(); err != nil {
		return nil, stoppedBeforeChange(ctx, s.Release, err)
	}
	cctx, cancel := detached(ctx, recordTimeout)
	defer cancel()
	if err := d.cfg.Store.Create(cctx, rev); err != nil {
		var tooLarge *store.TooLargeError
		if errors.As(err, &tooLarge) && len(rev.Adopted) > 0 {
			// Only the adopted objects' prior state can have made it too large (the
			// record without them was checked before the lock): nothing changed.
			return nil, &InputError{Err: fmt.Errorf("record revision %d of %q with the %d objects it adopts as they are now: %w; adopt fewer objects at a time",
				rev.Number, s.Release, len(rev.Adopted), err)}
		}
		return nil, fmt.Errorf("record revision %d of %q: %w", rev.Number, s.Release, err)
	}
	return rev, nil
}

// recordPriors reads each of adopting (objects rev takes over from no owner or another)
// as it is now into rev.Adopted (apply.PriorOf), so that a failed or interrupted rev
// puts them back. One deleted since it was listed is one rev creates: it goes to
// rev.Created instead.
func (d *Deploy) recordPriors(ctx context.Context, rev *release.Revision, adopting []*unstructured.Unstructured) error {
	for _, o := range adopting {
		live, err := d.cfg.Cluster.Get(ctx, o.GroupVersionKind(), o.GetNamespace(), o.GetName())
		if err != nil {
			return fmt.Errorf("read %s as it is before adopting it: %w", manifest.KeyOf(o), err)
		}
		if live == nil {
			rev.Created = append(rev.Created, release.RefOf(o))
			continue
		}
		rev.Adopted = append(rev.Adopted, apply.PriorOf(live))
	}
	return nil
}
