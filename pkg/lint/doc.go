// Package lint checks the objects of a deploy against zero-downtime rules before anything
// is applied.
//
// Check inspects the pod-serving workloads (apps/v1 Deployments, StatefulSets and
// DaemonSets) of a set, using the rest of the set for context: a workload is "behind a
// Service" when a Service of the same namespace has a selector matching its pod template
// labels, and "covered by a PodDisruptionBudget" likewise. Run it after
// manifest.SetDefaultNamespace, or on a set whose namespaces are written consistently, so
// that namespaces compare equal.
//
// Every Finding carries a rule id (SS001...), a severity, the object, the container when
// the rule is about one, a message saying what is wrong and why it drops traffic, and a fix.
// Rules lists them all for documentation. Only error findings should fail a deploy
// (HasErrors); rendering text or JSON is the caller's job.
//
// A workload can opt out of rules with the annotation
//
//	shipsafe.io/lint-skip: "SS006,SS008"
//
// on its own metadata.
//
// The shutdown-budget rule (SS004) reads the pod template annotation
// shipsafe.io/shutdown-budget: a Go duration (e.g. "25s") for how long the application
// needs from SIGTERM to exit: its drain delay plus its shutdown timeout plus its cleanup
// hooks, as the graceful library documents and reports.
package lint
