package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/verify"
)

// Verifier runs a revision's verification checks; *verify.Runner implements it.
type Verifier interface {
	// Run runs the checks over the window, after every object is ready, carrying on
	// the counts of req.Rollout.
	Run(ctx context.Context, req verify.Request) (*verify.Verdict, error)
	// Rollout samples the checks marked duringRollout until ctx ends or one fails; nil
	// when there are none.
	Rollout(ctx context.Context, req verify.Request) (*verify.Verdict, error)
}

var _ Verifier = (*verify.Runner)(nil)

// errBreach is the cause of the tracking context a check's breach during the rollout
// cancelled.
var errBreach = errors.New("a verification check failed during the rollout")

// verification runs the checks a revision records (rev.Verification) through one
// deploy: those marked duringRollout while its objects are tracked (duringRollout),
// then all of them over the window once the objects are ready (window), while the
// revision is still pending, so that a signal, a lost lock or a kill is handled as
// during tracking. since is when the deploy began (a relative threshold's baseline is
// the window before it).
type verification struct {
	cfg   *Config
	rev   *release.Revision
	since time.Time
	ev    *emitter
	// rollback is set when the revision rolls back to an earlier one's objects: what
	// runs during its rollout is the version being left, so nothing is sampled then.
	rollback bool
	// rollout is the passed verdict of the sampling during the rollout, whose counts
	// the window carries on; judged is the verdict the revision records: a breach
	// during the rollout, or the window's.
	rollout, judged *verify.Verdict
}

func newVerification(cfg *Config, rev *release.Revision, since time.Time, ev *emitter) *verification {
	return &verification{cfg: cfg, rev: rev, since: since, ev: ev}
}

// verifyRevision runs rev's window alone (a restore's target: see verifyRestored).
func verifyRevision(ctx context.Context, cfg *Config, rev *release.Revision, since time.Time, ev *emitter) (*verify.Verdict, *failure) {
	return newVerification(cfg, rev, since, ev).window(ctx)
}

// request is the verify.Request of spec for the revision. Its OnSample emits a Warning
// for every failed or inconclusive sample, but for those not counted during the
// rollout only the first of each check.
func (v *verification) request(spec *verify.Spec) verify.Request {
	uncounted := map[string]bool{}
	return verify.Request{
		Spec: spec, Release: v.rev.Release, Namespace: v.rev.Namespace, Revision: v.rev.Number, Since: v.since,
		Rollout: v.rollout,
		OnSample: func(s verify.Sample) {
			msg := "verify: " + s.String()
			switch {
			case s.Uncounted && uncounted[s.Check]:
				return
			case s.Uncounted:
				uncounted[s.Check] = true
				msg += fmt.Sprintf("; inconclusive samples of %s are not counted until every object is ready (the verdict says how many)", s.Check)
			case s.Outcome == verify.Pass:
				return
			}
			v.ev.emit(Event{Kind: Warning, Time: s.Time, Message: msg})
		},
	}
}

// duringRollout starts sampling the revision's checks marked duringRollout under ctx
// (the tracking's). It returns the context tracking must run under, which a breach
// cancels, and finish, which stops the sampling and returns the breach, or a failure
// to set the checks up, as a failure (nil: none). With no such check (or a spec that
// does not parse, which the window reports), or for a rollback, it returns ctx and a
// finish that does nothing.
func (v *verification) duringRollout(ctx context.Context) (context.Context, func() *failure) {
	none := func() *failure { return nil }
	if v.rev.Verification == nil || v.cfg.Verifier == nil {
		return ctx, none
	}
	spec, err := verify.Parse(v.rev.Verification)
	if err != nil || len(spec.RolloutChecks()) == 0 {
		return ctx, none
	}
	if v.rollback {
		v.ev.step(fmt.Sprintf("revision %d is a rollback: %s not sampled during the rollout, where the version being left still serves; the window runs them once every object is ready",
			v.rev.Number, strings.Join(spec.RolloutChecks(), ", ")))
		return ctx, none
	}
	v.ev.step(fmt.Sprintf("verifying revision %d during the rollout: %s every %s (a breach fails the deploy at once; inconclusive samples are not counted until every object is ready)",
		v.rev.Number, strings.Join(spec.RolloutChecks(), ", "), spec.Interval))
	tctx, breach := context.WithCancelCause(ctx)
	sctx, stop := context.WithCancel(ctx)
	var (
		verdict *verify.Verdict
		rerr    error
		done    = make(chan struct{})
	)
	go func() {
		defer close(done)
		verdict, rerr = v.cfg.Verifier.Rollout(sctx, v.request(spec))
		if rerr != nil || verdict != nil && !verdict.Passed {
			breach(errBreach)
		}
	}()
	return tctx, func() *failure {
		stop()
		<-done
		breach(nil)
		switch {
		case rerr != nil:
			return &failure{reason: fmt.Sprintf("verification of revision %d during the rollout: %v", v.rev.Number, rerr)}
		case verdict == nil:
			return nil
		case !verdict.Passed:
			v.judged = verdict
			return v.failed(verdict, "verification failed before every object was ready: ")
		}
		v.rollout = verdict
		return nil
	}
}

// window runs the revision's checks over the window, after its objects are ready,
// carrying on the counts of the sampling during the rollout. It returns the verdict
// (nil when the revision has no checks) and a failure when the verdict failed.
func (v *verification) window(ctx context.Context) (*verify.Verdict, *failure) {
	rev := v.rev
	if rev.Verification == nil {
		return nil, nil
	}
	spec, err := verify.Parse(rev.Verification)
	if err != nil {
		return nil, &failure{reason: fmt.Sprintf("verification of revision %d: %v", rev.Number, err)}
	}
	if v.cfg.Verifier == nil {
		return nil, &failure{reason: fmt.Sprintf("revision %d has verification checks, but no verifier is configured", rev.Number)}
	}
	v.ev.step(fmt.Sprintf("verifying revision %d: %d checks for %s, every %s, after %s", rev.Number, len(spec.Checks), spec.For, spec.Interval, spec.InitialDelay))
	verdict, err := v.cfg.Verifier.Run(ctx, v.request(spec))
	if err != nil {
		return nil, &failure{reason: fmt.Sprintf("verification of revision %d: %v", rev.Number, err)}
	}
	v.judged = verdict
	if !verdict.Passed {
		if verdict.Interrupted != "" {
			f := v.failed(verdict, "")
			f.reason = interruption(ctx, "verifying")
			return verdict, f
		}
		return verdict, v.failed(verdict, "verification failed: ")
	}
	v.ev.step(fmt.Sprintf("revision %d verified: %s", rev.Number, strings.Join(verdict.Summary(), "; ")))
	return verdict, nil
}

// failed emits a failed verdict's evidence and returns it as a failure whose reason is
// prefix and the verdict's reason.
func (v *verification) failed(verdict *verify.Verdict, prefix string) *failure {
	for _, line := range verdict.Evidence() {
		v.ev.emit(Event{Kind: Warning, Message: "verify evidence: " + line})
	}
	return &failure{reason: prefix + verdict.Reason(), evidence: verdict.Evidence()}
}

// recordOf is what a revision records of its verdict (nil for none): one line per check,
// for a pass as for a failure, so history and status show what it was judged on. An
// interrupted window is not a judgement and records nothing.
func recordOf(v *verify.Verdict) *release.Verified {
	if v == nil || v.Interrupted != "" {
		return nil
	}
	return &release.Verified{Passed: v.Passed, Start: v.Start, End: v.End, Checks: v.Summary()}
}
