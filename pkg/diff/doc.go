// Package diff tells what a deploy would change and what changed since the last one.
//
// Plan compares new objects with the cluster as a deploy would change it: each object is
// prepared like deploy prepares it (plan.Normalize: namespace, release label),
// server-side applied in dry-run mode with the shipsafe field manager, and the server's
// answer is compared with the live object, so defaulting, admission and fields other
// managers own are accounted for. The result lists objects to create, to change (with
// the changed fields and a unified diff) and to prune (objects of the last deployed
// revision, and those failed revisions since left behind, that the new objects lack),
// plus conflicts a deploy without --force-conflicts would
// stop on.
//
// Drift compares a release's live objects with its last deployed revision the same way:
// re-applying the revision in a forced dry run shows exactly the fields the revision sets
// that have other values live, and the live object's managedFields name the manager that
// changed each one (kubectl-scale, kubectl-set...) and when. Deleted objects are listed.
//
// Both share one comparison: volatile fields (managedFields, resourceVersion,
// generation, uid, creationTimestamp, status) are left out, lists of objects are matched
// by their key field (name, mountPath, containerPort...), and Secret values (data,
// stringData, kubectl's last-applied annotation) are masked before anything is compared
// or rendered, so a changed value reads "*** (changed)" and no value is ever shown.
//
// Plan and Drift are one package because they are one comparison run from two sources
// (new objects, the deployed revision); splitting them would export that machinery.
// Nothing here writes to the cluster: every apply is a dry run.
package diff
