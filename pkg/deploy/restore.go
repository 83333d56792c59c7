package deploy

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/apply"
	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/plan"
	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/track"
)

// errSecondSignal is the cause of a restore's context when Stop closed.
var errSecondSignal = errors.New("a second signal")

// fail handles a revision that did not become ready: unless NoRollback, it restores the
// last deployed revision (or removes everything a failed first install created), under
// its own timeout that a signal does not cancel; then it records the revision with the
// reason and evidence. It returns the *FailedError to report.
func (d *Deploy) fail(ctx context.Context, opts *RunOptions, rev, last *release.Revision, f *failure, ev *emitter) error {
	if cause := context.Cause(ctx); errors.Is(cause, release.ErrLockLost) {
		return cause // the next holder of the lock restores; this run must not write
	}
	ev.warn(fmt.Sprintf("revision %d failed: %s", rev.Number, f.reason))
	ferr := &FailedError{Release: rev.Release, Revision: rev.Number, Reason: f.reason}
	rev.Reason, rev.Evidence = f.reason, f.evidence
	status := release.StatusFailed
	if !opts.NoRollback {
		restored, err := d.restore(ctx, opts, rev, last, ev)
		if cause := lockLostDuring(opts); cause != nil {
			return cause // as above: the rollback stopped at the loss
		}
		ferr.Restored, ferr.Cause = restored, err
		if restored && last != nil {
			ferr.RolledBackTo, rev.RolledBackTo = last.Number, last.Number
			status = release.StatusRolledBack
		}
		if err != nil {
			rev.Reason += fmt.Sprintf("; restore failed: %v", err)
		}
	}
	if err := d.record(ctx, rev, status); err != nil {
		return errors.Join(ferr, err)
	}
	return ferr
}

// lockLostDuring returns why the run's lock was lost, or nil while it is held.
func lockLostDuring(opts *RunOptions) error {
	if opts.lock == nil {
		return nil
	}
	select {
	case <-opts.lock.Lost():
		return lostCause(opts.lock)
	default:
		return nil
	}
}

// restore brings the cluster back to the last deployed revision: it re-applies that
// revision's objects (not its chart's crds/ CRDs), deletes what only rev created, puts
// back as they were the objects rev adopted (putBack), and waits for readiness. With no
// last deployed revision (a failed first install) it deletes everything rev created and
// puts back what it adopted. Objects kept (see kept) and those marked with a keep policy
// stay.
// It runs under context.WithoutCancel with opts.RollbackTimeout, and stops waiting when
// opts.Stop closes or the run's lock is lost. It reports whether the cluster is
// consistent again.
func (d *Deploy) restore(ctx context.Context, opts *RunOptions, rev, last *release.Revision, ev *emitter) (bool, error) {
	tctx, cancelTimeout := detached(ctx, opts.RollbackTimeout)
	defer cancelTimeout()
	rctx, stop := context.WithCancelCause(tctx)
	defer stop(nil)
	var lost <-chan struct{}
	if opts.lock != nil {
		lost = opts.lock.Lost()
	}
	go func() {
		select {
		case <-opts.Stop:
			stop(errSecondSignal)
		case <-lost:
			stop(lostCause(opts.lock))
		case <-rctx.Done():
		}
	}()
	var (
		keep    map[manifest.Key]*unstructured.Unstructured
		applied []*unstructured.Unstructured
	)
	if last != nil {
		ev.step(fmt.Sprintf("rolling back to revision %d", last.Number))
		keep = manifest.Index(last.Objects)
		var err error
		// A chart's crds/ CRDs are never changed back (Helm's rollback leaves them too).
		toApply := plan.Without(last.Objects, chartCRDs(last))
		if applied, err = d.cfg.Cluster.Apply(rctx, toApply, apply.Options{Force: true}); err != nil {
			return false, fmt.Errorf("re-apply revision %d: %w", last.Number, err)
		}
	} else {
		msg := "first install failed: removing the objects it created"
		if len(rev.Adopted) > 0 {
			msg += fmt.Sprintf(" and putting back the %d it adopted", len(rev.Adopted))
		}
		ev.step(msg)
	}
	var created []*unstructured.Unstructured
	crds := chartCRDs(rev)
	for _, ref := range rev.Created {
		o := ref.Shell()
		if _, ok := keep[manifest.KeyOf(o)]; ok {
			continue
		}
		if why := kept(o, crds, opts.recovering); why != "" {
			ev.emit(Event{Kind: Warning, Object: manifest.KeyOf(o).String(), Message: fmt.Sprintf(
				"%s: left in place (%s); delete it by hand if it is not needed", manifest.KeyOf(o), why)})
			continue
		}
		created = append(created, o)
	}
	deleted, err := d.cfg.Cluster.Delete(rctx, created, deleteOptions(ownerOf(rev), ev))
	for _, o := range deleted {
		ev.emit(Event{Kind: Deleted, Object: manifest.KeyOf(o).String()})
	}
	if err != nil {
		return false, fmt.Errorf("delete objects revision %d created: %w", rev.Number, err)
	}
	if err := d.putBack(rctx, rev, keep, ev); err != nil {
		return false, fmt.Errorf("put back objects revision %d adopted: %w", rev.Number, err)
	}
	if last == nil {
		return true, nil
	}
	res, err := d.cfg.Tracker.Run(rctx, asApplied(last.Objects, applied), track.RunOptions{}, ev.track)
	switch {
	case err != nil && errors.Is(context.Cause(rctx), errSecondSignal):
		return false, fmt.Errorf("a second signal stopped the wait before revision %d was ready again: %s", last.Number, notReady(res, err))
	case err != nil:
		return false, fmt.Errorf("revision %d not ready again: %s", last.Number, notReady(res, err))
	case res.Failed:
		return false, fmt.Errorf("revision %d failed too: %s: %s: %s", last.Number, res.Object, res.Reason, res.Message)
	}
	ev.step(fmt.Sprintf("rolled back to revision %d: all objects ready", last.Number))
	return d.verifyRestored(ctx, rctx, rev, last, ev)
}

// verifyRestored runs the checks of the revision a restore went back to, with the
// baseline before rev began. After a signal it skips them, saying so: a cancelled CI job
// has seconds to finish, and the target passed its checks when it was deployed. A
// target that fails them leaves the release not restored: a person must act.
func (d *Deploy) verifyRestored(parent, rctx context.Context, rev, last *release.Revision, ev *emitter) (bool, error) {
	if last.Verification == nil {
		return true, nil
	}
	if parent.Err() != nil {
		ev.emit(Event{Kind: Warning, Message: fmt.Sprintf("verification of revision %d skipped: the rollback follows a signal", last.Number)})
		return true, nil
	}
	target := last.DeepCopy()
	target.Namespace = rev.Namespace
	if _, f := verifyRevision(rctx, d.cfg, target, rev.StartedAt, ev); f != nil {
		return false, fmt.Errorf("revision %d is ready again but failed its own verification: %s%s", last.Number, f.reason, f.evidenceLines())
	}
	return true, nil
}

// recoverInterrupted finds revisions left pending by a deploy that died (its lock
// expired, so we could take it) and restores consistency as that deploy would have:
// back to the last deployed revision, deleting what the interrupted revision created.
// It returns the number of the revision it recovered, or 0, and, when nothing was
// pending, the revisions the deploy needs (records.needed: it reads summaries and only
// those bodies) and the number of the next revision: under the lock they are still
// current (nil otherwise: read them again). Damaged records are reported as readHistory
// does. The restore runs as opts say, but always: NoRollback does not apply
// to another deploy's revision.
func (d *Deploy) recoverInterrupted(ctx context.Context, recs *records, opts RunOptions, ev *emitter) (int, []*release.Revision, int, error) {
	rel := recs.name
	sums, next, err := recs.summaries(ctx, ev)
	if err != nil {
		return 0, nil, 0, err
	}
	if !release.HasPending(sums) {
		revs, err := recs.needed(ctx, sums)
		if err != nil {
			return 0, nil, 0, err
		}
		return 0, revs, next, nil
	}
	revs, _, err := readHistory(ctx, d.cfg, rel, nil) // damaged ones were reported above
	if err != nil {
		return 0, nil, 0, err
	}
	var recovered int
	for _, p := range release.Pending(revs) {
		last := release.LastDeployed(revs)
		if p.Progress != nil && p.Progress.Ready && (last == nil || p.Number > last.Number) {
			if err := d.completeInterrupted(ctx, &opts, revs, p, last, ev); err != nil {
				return 0, nil, 0, err
			}
			recovered = p.Number
			continue
		}
		ev.warn(fmt.Sprintf("revision %d was left pending by %q (started %s) that stopped without finishing; restoring consistency first",
			p.Number, p.Holder, p.StartedAt.Format("2006-01-02 15:04:05")))
		f := &failure{reason: fmt.Sprintf("interrupted: the deploy by %q stopped without finishing (killed or its machine lost)", p.Holder)}
		opts.NoRollback = false
		opts.recovering = true
		err := d.fail(ctx, &opts, p, last, f, ev)
		// Only a bare, restored *FailedError is a recovery: one joined with a failed
		// record write left the revision pending, and that must be reported.
		if ferr, ok := err.(*FailedError); ok && ferr.Restored {
			recovered = p.Number
			continue
		}
		return 0, nil, 0, fmt.Errorf("recover interrupted revision %d of %q: %w", p.Number, rel, err)
	}
	return recovered, nil, 0, nil
}

// putBack puts the objects rev adopted (rev.Adopted) back as they were before rev, with
// their spec, data, labels and annotations and without rev's ownership; those that keep
// (the revision the restore goes back to) holds are re-applied from it instead. An object
// that belongs to another owner now, or that someone changed since rev applied it
// (plan.ChangedSinceAdopted), is left as it is with a warning naming it; so is a recorded
// object that is not among rev's objects (the record is not to be believed on it).
func (d *Deploy) putBack(ctx context.Context, rev *release.Revision, keep map[manifest.Key]*unstructured.Unstructured, ev *emitter) error {
	if len(rev.Adopted) == 0 {
		return nil
	}
	desired := manifest.Index(rev.Objects)
	var priors []*unstructured.Unstructured
	for _, p := range rev.Adopted {
		k := manifest.KeyOf(p)
		if _, ok := keep[k]; ok {
			continue
		}
		if _, ok := desired[k]; !ok {
			ev.emit(Event{Kind: Warning, Object: k.String(), Message: fmt.Sprintf(
				"%s: the record of revision %d lists it as adopted but not among its objects: not put back", k, rev.Number)})
			continue
		}
		priors = append(priors, p)
	}
	owner := ownerOf(rev)
	restored, err := d.cfg.Cluster.Restore(ctx, priors, apply.RestoreOptions{
		Changed: func(live *unstructured.Unstructured) string {
			k := manifest.KeyOf(live)
			was, recorded := rev.Applied[k.String()]
			return plan.ChangedSinceAdopted(live, desired[k], was, recorded, owner)
		},
		OnLeft: func(k manifest.Key, why string) {
			ev.emit(Event{Kind: Warning, Object: k.String(), Message: fmt.Sprintf(
				"%s, adopted by revision %d: %s", k, rev.Number, why)})
		},
	})
	for _, o := range restored {
		k := manifest.KeyOf(o)
		ev.emit(Event{Kind: Step, Object: k.String(), Message: fmt.Sprintf("%s: put back as it was before revision %d adopted it", k, rev.Number)})
	}
	return err
}
