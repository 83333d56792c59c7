package verify

// maxBad bounds the bad samples a CheckResult keeps as evidence.
const maxBad = 10

// tally counts one check's samples against its failure limit. It is pure: the Runner
// feeds it samples and asks whether the check has breached.
type tally struct {
	res CheckResult
}

func newTally(c Check, query string) *tally {
	return &tally{res: CheckResult{
		Name: c.Name, Type: c.Type(), Query: query,
		FailureLimit: c.FailureLimit, Policy: c.Inconclusive,
	}}
}

// add records s and reports whether the check has now failed: its failed samples,
// counting inconclusive ones when the policy is fail, exceed the failure limit. A job's
// single sample fails it at once whatever the limit, as the Job ran only once.
func (t *tally) add(s Sample) bool {
	t.res.Samples++
	last := s
	t.res.Last = &last
	bad := false
	switch s.Outcome {
	case Fail:
		t.res.Failures++
		bad = true
	case Inconclusive:
		t.res.Inconclusive++
		bad = true
		if t.res.Policy != PolicyPass {
			t.res.Failures++
		}
	}
	if bad && len(t.res.Bad) < maxBad {
		t.res.Bad = append(t.res.Bad, s)
	}
	limit := t.res.FailureLimit
	if t.res.Type == "job" {
		limit = 0
	}
	if t.res.Failures > limit {
		t.res.Failed = true
	}
	return t.res.Failed
}

// addDuringRollout records s, taken during the rollout, and reports whether the check
// has now failed. An inconclusive sample is marked Uncounted and counted nowhere but
// in RolloutUncounted: before every object is ready, new pods may not be reachable or
// scraped yet. Any other sample counts as add counts it.
func (t *tally) addDuringRollout(s *Sample) bool {
	s.DuringRollout = true
	if s.Outcome == Inconclusive {
		s.Uncounted = true
		t.res.RolloutUncounted++
		return false
	}
	t.res.RolloutSamples++
	return t.add(*s)
}

// judge returns the verdict of the window from its checks' tallies: passed unless a
// check failed or the window was interrupted.
func judge(tallies []*tally, v Verdict) Verdict {
	v.Passed = v.Interrupted == ""
	v.Checks = nil
	for _, t := range tallies {
		if t.res.Failed {
			v.Passed = false
		}
		v.Checks = append(v.Checks, t.res)
	}
	return v
}
