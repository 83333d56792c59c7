// Package verify judges a release after it is ready, and check by check while it rolls
// out: HTTP checks through the API server's service proxy, PromQL queries against
// Prometheus, and smoke-test Jobs, run for a window, each counted against its failure
// limit. Checks marked duringRollout are sampled during the rollout too (Runner.Rollout),
// and the window carries their counts on. A breach is a failed Verdict with evidence
// (check, query, value, threshold, window, sample times); a sample that cannot be judged
// (no data, Prometheus unreachable, a proxy error) is inconclusive and follows its
// check's declared policy, never passing silently (during the rollout it is not
// counted).
//
// The spec is a shipsafe kind in the release's sources (apiVersion shipsafe.io/v1alpha1,
// kind Verification) that is read, not applied; Parse turns it into a Spec. The pure
// parts (Parse, Condition, tally) are unit-tested; Runner talks to the cluster and to
// Prometheus and is tested on the real cluster by the e2e suite.
package verify
