package deploy

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/verify"
)

// Verifier runs a revision's verification checks; *verify.Runner implements it.
type Verifier interface {
	Run(ctx context.Context, req verify.Request) (*verify.Verdict, error)
}

var _ Verifier = (*verify.Runner)(nil)

// verifyRevision runs the checks rev records (rev.Verification), after its objects are
// ready and while it is still pending, so that a signal, a lost lock or a kill during
// the window is handled as during tracking. since is when the deploy began (a relative
// threshold's baseline is the window before it). It returns the verdict (nil when rev
// has no checks) and a failure when the verdict failed.
func verifyRevision(ctx context.Context, cfg *Config, rev *release.Revision, since time.Time, ev *emitter) (*verify.Verdict, *failure) {
	if rev.Verification == nil {
		return nil, nil
	}
	spec, err := verify.Parse(rev.Verification)
	if err != nil {
		return nil, &failure{reason: fmt.Sprintf("verification of revision %d: %v", rev.Number, err)}
	}
	if cfg.Verifier == nil {
		return nil, &failure{reason: fmt.Sprintf("revision %d has verification checks, but no verifier is configured", rev.Number)}
	}
	ev.step(fmt.Sprintf("verifying revision %d: %d checks for %s, every %s, after %s", rev.Number, len(spec.Checks), spec.For, spec.Interval, spec.InitialDelay))
	verdict, err := cfg.Verifier.Run(ctx, verify.Request{
		Spec: spec, Release: rev.Release, Namespace: rev.Namespace, Revision: rev.Number, Since: since,
		OnSample: func(s verify.Sample) {
			if s.Outcome != verify.Pass {
				ev.emit(Event{Kind: Warning, Time: s.Time, Message: "verify: " + s.String()})
			}
		},
	})
	if err != nil {
		return nil, &failure{reason: fmt.Sprintf("verification of revision %d: %v", rev.Number, err)}
	}
	if !verdict.Passed {
		for _, line := range verdict.Evidence() {
			ev.emit(Event{Kind: Warning, Message: "verify evidence: " + line})
		}
		if verdict.Interrupted != "" {
			return verdict, &failure{reason: interruption(ctx, "verifying"), evidence: verdict.Evidence()}
		}
		return verdict, &failure{reason: "verification failed: " + verdict.Reason(), evidence: verdict.Evidence()}
	}
	ev.step(fmt.Sprintf("revision %d verified: %s", rev.Number, strings.Join(verdict.Summary(), "; ")))
	return verdict, nil
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
