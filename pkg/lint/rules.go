package lint

// Rule describes one lint rule for documentation and for tools listing the rules.
type Rule struct {
	// ID is the stable identifier used in findings and in the lint-skip annotation.
	ID string `json:"id"`
	// Title is a one-line summary of what the rule detects.
	Title string `json:"title"`
	// Severity is the severity of the rule's findings.
	Severity Severity `json:"severity"`
	// Why explains how the configuration drops traffic.
	Why string `json:"why"`
}

// Rule ids.
const (
	ruleUnreadable       = "SS000"
	ruleNoReadiness      = "SS001"
	ruleSameProbes       = "SS002"
	ruleNoPreStop        = "SS003"
	ruleGracePeriod      = "SS004"
	ruleUnavailable      = "SS005"
	ruleSingleReplica    = "SS006"
	ruleLatestAlways     = "SS007"
	ruleNoRequests       = "SS008"
	ruleRecreateStrategy = "SS009"
)

// Rules returns every rule Check applies, ordered by id. The slice is new on each call.
func Rules() []Rule {
	return []Rule{
		{ruleUnreadable, "workload or related object cannot be read", SeverityError,
			"A field has the wrong type (e.g. replicas: \"3\"), so the API server will reject the object and no other rule can check it."},
		{ruleNoReadiness, "container has no readinessProbe", SeverityWarning,
			"Without a readiness probe a pod counts as ready as soon as its containers start, so a Service sends it traffic before the application listens and a rollout replaces old pods with ones that are not serving yet."},
		{ruleSameProbes, "livenessProbe is identical to readinessProbe", SeverityWarning,
			"When both probes run the same check, a slow dependency that should only take a pod out of the Service (readiness) also makes the kubelet restart it (liveness), turning a brownout into restarts and CrashLoopBackOff across every replica."},
		{ruleNoPreStop, "serving container has no preStop hook", SeverityWarning,
			"When a pod is deleted, kube-proxy, ingress controllers and load balancers remove it a moment after the container gets SIGTERM. A container that stops listening at once refuses the requests still routed to it; a short preStop sleep keeps it serving until routing has converged."},
		{ruleGracePeriod, "terminationGracePeriodSeconds is shorter than preStop plus the shutdown budget", SeverityError,
			"The grace period counts from the start of termination and covers the preStop hook and the application's drain and shutdown. If it is shorter, the kubelet sends SIGKILL while requests are still in flight."},
		{ruleUnavailable, "rollout may take every replica down at once", SeverityError,
			"When the effective maxUnavailable reaches the replica count, the Deployment controller may stop all old pods before new ones are ready. maxSurge 0 with maxUnavailable 0 is rejected by the API server."},
		{ruleSingleReplica, "single replica without a PodDisruptionBudget", SeverityInfo,
			"One replica is down during every node drain, eviction and StatefulSet update; nothing protects it, and a PodDisruptionBudget for one pod would block drains instead."},
		{ruleLatestAlways, "imagePullPolicy Always with a :latest or untagged image", SeverityWarning,
			"A mutable tag pulled on every start means pods of one revision can run different code, and a rollback re-applies the same tag and gets the new image again."},
		{ruleNoRequests, "container has no cpu or memory request", SeverityWarning,
			"Without requests the scheduler packs pods blindly: during a rollout surge pods land on full nodes, get throttled or evicted, and fail readiness."},
		{ruleRecreateStrategy, "Deployment uses the Recreate strategy", SeverityWarning,
			"Recreate stops every old pod before starting new ones, so each rollout is an outage."},
	}
}

// severityOf returns the severity of rule id.
func severityOf(id string) Severity {
	for _, r := range Rules() {
		if r.ID == id {
			return r.Severity
		}
	}
	return SeverityError
}
