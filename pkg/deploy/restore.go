package deploy

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/apply"
	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/track"
)

// fail handles a revision that did not become ready: unless NoRollback, it restores the
// last deployed revision (or removes everything a failed first install created), under
// its own timeout that a signal does not cancel; then it records the revision with the
// reason and evidence. It returns the *FailedError to report.
func (d *Deploy) fail(ctx context.Context, opts *Options, rev, last *release.Revision, f *failure, tracked track.Result, ev *emitter) error {
	ev.emit(Event{Kind: Warning, Message: fmt.Sprintf("revision %d failed: %s", rev.Number, f.reason)})
	ferr := &FailedError{Release: rev.Release, Revision: rev.Number, Reason: f.reason}
	rev.Reason, rev.Evidence = f.reason, f.evidence
	status := release.StatusFailed
	if !opts.NoRollback {
		restored, err := d.restore(ctx, opts, rev, last, ev)
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

// record moves rev to status and writes it, even after ctx was cancelled.
func (d *Deploy) record(ctx context.Context, rev *release.Revision, status release.Status) error {
	rctx, cancel := detached(ctx, recordTimeout)
	defer cancel()
	if err := rev.Transition(status, d.cfg.now()); err != nil {
		return err
	}
	if err := d.cfg.Store.Update(rctx, rev); err != nil {
		return fmt.Errorf("record revision %d of %q as %s: %w", rev.Number, rev.Release, status, err)
	}
	return nil
}

// restore brings the cluster back to the last deployed revision: it re-applies that
// revision's objects, deletes what only rev created, and waits for readiness. With no
// last deployed revision (a failed first install) it deletes everything rev created.
// It runs under context.WithoutCancel with opts.RollbackTimeout, and stops waiting when
// opts.Stop closes. It reports whether the cluster is consistent again.
func (d *Deploy) restore(ctx context.Context, opts *Options, rev, last *release.Revision, ev *emitter) (bool, error) {
	rctx, cancel := detached(ctx, opts.RollbackTimeout)
	defer cancel()
	if opts.Stop != nil {
		go func() {
			select {
			case <-opts.Stop:
				cancel()
			case <-rctx.Done():
			}
		}()
	}
	var (
		keep    map[manifest.Key]*unstructured.Unstructured
		applied []*unstructured.Unstructured
	)
	if last != nil {
		ev.step(fmt.Sprintf("rolling back to revision %d", last.Number))
		keep = manifest.Index(last.Objects)
		var err error
		if applied, err = d.cfg.Applier.Apply(rctx, last.Objects, apply.Options{Force: true}); err != nil {
			return false, fmt.Errorf("re-apply revision %d: %w", last.Number, err)
		}
	} else {
		ev.step("first install failed: removing the objects it created")
	}
	var created []*unstructured.Unstructured
	for _, ref := range rev.Created {
		o := ref.Shell()
		if _, ok := keep[manifest.KeyOf(o)]; !ok {
			created = append(created, o)
		}
	}
	deleted, err := d.cfg.Applier.Delete(rctx, created)
	for _, o := range deleted {
		ev.emit(Event{Kind: Deleted, Object: manifest.KeyOf(o).String()})
	}
	if err != nil {
		return false, fmt.Errorf("delete objects revision %d created: %w", rev.Number, err)
	}
	if last == nil {
		return true, nil
	}
	res, err := d.cfg.Tracker.Run(rctx, asApplied(last.Objects, applied), ev.track)
	switch {
	case err != nil && closed(opts.Stop):
		return false, fmt.Errorf("a second signal stopped the wait before revision %d was ready again: %s", last.Number, notReady(res, err))
	case err != nil:
		return false, fmt.Errorf("revision %d not ready again: %s", last.Number, notReady(res, err))
	case res.Failed:
		return false, fmt.Errorf("revision %d failed too: %s: %s: %s", last.Number, res.Object, res.Reason, res.Message)
	}
	ev.step(fmt.Sprintf("rolled back to revision %d: all objects ready", last.Number))
	return true, nil
}

// closed reports whether ch is closed; a nil ch never is.
func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// recoverInterrupted finds revisions left pending by a deploy that died (its lock
// expired, so we could take it) and restores consistency as that deploy would have:
// back to the last deployed revision, deleting what the interrupted revision created.
// It returns the number of the revision it recovered, or 0.
func (d *Deploy) recoverInterrupted(ctx context.Context, opts *Options, ev *emitter) (int, error) {
	revs, err := d.cfg.Store.History(ctx, opts.Release)
	if err != nil {
		return 0, fmt.Errorf("read history of %q: %w", opts.Release, err)
	}
	var recovered int
	for _, p := range release.Pending(revs) {
		last := release.LastDeployed(revs)
		ev.emit(Event{Kind: Warning, Message: fmt.Sprintf(
			"revision %d was left pending by %q (started %s) that stopped without finishing; restoring consistency first",
			p.Number, p.Holder, p.StartedAt.Format("2006-01-02 15:04:05"))})
		f := &failure{reason: fmt.Sprintf("interrupted: the deploy by %q stopped without finishing (killed or its machine lost)", p.Holder)}
		ropts := *opts
		ropts.NoRollback = false
		err := d.fail(ctx, &ropts, p, last, f, track.Result{}, ev)
		var ferr *FailedError
		if errors.As(err, &ferr) && ferr.Restored {
			recovered = p.Number
			continue
		}
		return 0, fmt.Errorf("recover interrupted revision %d of %q: %w", p.Number, opts.Release, err)
	}
	return recovered, nil
}
