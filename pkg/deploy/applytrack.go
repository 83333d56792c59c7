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
	"github.com/shipsafe/shipsafe/pkg/track"
)

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

// timeoutError is the cause of a context whose own deadline passed (--timeout).
type timeoutError struct{ after time.Duration }

func (e *timeoutError) Error() string { return fmt.Sprintf("timed out after %s", e.after) }

// withTimeout is context.WithTimeout whose cause, once the deadline passes, says so: a
// *timeoutError, which interruption tells from a signal or a lost lock.
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, d, &timeoutError{after: d})
}

// interruption names why work under ctx stopped: its timeout, a signal (the context
// cancelled), another cause such as a lost lock, or, when ctx is not done, detail alone.
func interruption(ctx context.Context, detail string) string {
	if ctx.Err() == nil {
		return detail
	}
	cause := context.Cause(ctx)
	var timeout *timeoutError
	switch {
	case errors.As(cause, &timeout):
		return fmt.Sprintf("%v: %s", timeout, detail)
	case errors.Is(cause, context.Canceled):
		return "interrupted (signal or cancelled) while " + detail
	}
	return fmt.Sprintf("interrupted (%v) while %s", cause, detail)
}

// applyAndTrack applies those objs that rev.Applied does not hold as unchanged, records
// what it applied in rev.Applied, and waits until all objs are ready, within s.Timeout;
// the unchanged ones are judged once and watched only when not ready then.
// onApplied runs once every object is applied, before the wait. during (nil: none)
// starts what runs alongside the wait (verification.duringRollout): the wait runs under
// the context it returns, and the failure its finish returns once the wait is over
// comes first.
func (d *Deploy) applyAndTrack(ctx context.Context, objs []*unstructured.Unstructured, rev *release.Revision, s *spec, ev *emitter, onApplied func(),
	during func(context.Context) (context.Context, func() *failure)) (track.Result, *failure) {
	wctx, cancel := withTimeout(ctx, s.Timeout)
	defer cancel()
	toApply := plan.Changed(objs, rev.Applied)
	if skipped := len(objs) - len(toApply); skipped > 0 {
		ev.step(fmt.Sprintf("%d objects unchanged since the last deployed revision and not changed in the cluster since: not applied again", skipped))
	}
	if rev.Applied == nil {
		rev.Applied = map[string]release.AppliedState{}
	}
	applied, err := d.cfg.Cluster.Apply(wctx, toApply, apply.Options{
		Force: s.ForceConflicts,
		OnApplied: func(o *unstructured.Unstructured) {
			ev.emit(Event{Kind: Applied, Object: manifest.KeyOf(o).String()})
		},
		OnTakeover: func(k manifest.Key, took apply.Takeover) {
			ev.emit(Event{Kind: Warning, Object: k.String(), Message: fmt.Sprintf(
				"%s: took back %s, changed by hand by %s", k, strings.Join(took.Fields, ", "), strings.Join(took.Managers, ", "))})
		},
		OnReplicasKept: func(k manifest.Key, kept apply.KeptReplicas) {
			ev.emit(Event{Kind: Step, Object: k.String(), Message: keptReplicas(k, kept)})
		},
	})
	var f *failure
	if err != nil {
		f = &failure{reason: interruption(wctx, fmt.Sprintf("apply: %v", err))}
	}
	if f == nil && len(s.takeOverFrom) > 0 {
		dropped, err := d.cfg.Cluster.DropManagers(wctx, objs, s.takeOverFrom)
		applied = asApplied(applied, dropped) // the resourceVersions the drop produced
		if err != nil {
			f = &failure{reason: interruption(wctx, fmt.Sprintf("take ownership: %v", err))}
		}
	}
	// Recorded even after a failure: putting back the objects the revision adopted checks
	// that nobody changed them since (plan.ChangedSinceAdopted).
	if err := plan.RecordApplied(rev.Applied, toApply, applied); err != nil && f == nil {
		f = &failure{reason: fmt.Sprintf("record what was applied: %v", err)}
	}
	if f != nil {
		return track.Result{}, f
	}
	onApplied()
	ev.step(fmt.Sprintf("waiting for %d objects to be ready (timeout %s)", len(objs), s.Timeout))
	tctx, finish := wctx, func() *failure { return nil }
	if during != nil {
		tctx, finish = during(wctx)
	}
	res, err := d.cfg.Tracker.Run(tctx, asApplied(objs, applied), track.RunOptions{Unchanged: unchangedRefs(objs, toApply)}, ev.track)
	if f := finish(); f != nil {
		return res, f
	}
	var forbidden *track.ForbiddenError
	switch {
	case errors.As(err, &forbidden):
		return res, &failure{reason: err.Error()}
	case err != nil:
		return res, &failure{reason: interruption(wctx, notReady(res, err)), evidence: res.Evidence}
	case res.Failed:
		return res, &failure{reason: fmt.Sprintf("%s: %s: %s", res.Object, res.Reason, res.Message), evidence: res.Evidence}
	}
	return res, nil
}

// keptReplicas says that k's replicas were left to the HPA that scales it.
func keptReplicas(k manifest.Key, kept apply.KeptReplicas) string {
	manifestSays := "the manifest sets none"
	if kept.Manifest != nil {
		manifestSays = fmt.Sprintf("the manifest says %d", *kept.Manifest)
	}
	return fmt.Sprintf("%s: replicas kept at %d, scaled by HorizontalPodAutoscaler %s (%s)", k, kept.Replicas, kept.HPA, manifestSays)
}

// unchangedRefs names the objs not in toApply: the tracker judges them once instead of
// watching each (track.RunOptions.Unchanged).
func unchangedRefs(objs, toApply []*unstructured.Unstructured) map[track.ObjectRef]bool {
	if len(toApply) == len(objs) {
		return nil
	}
	applying := manifest.Index(toApply)
	out := make(map[track.ObjectRef]bool, len(objs)-len(toApply))
	for _, o := range objs {
		if _, ok := applying[manifest.KeyOf(o)]; !ok {
			out[manifest.KeyOf(o)] = true
		}
	}
	return out
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
