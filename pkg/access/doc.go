// Package access knows which Kubernetes permissions shipsafe needs to deploy a release,
// checks them before anything changes, and writes them as RBAC Roles.
//
// Contract:
//   - Required is pure: from the release namespace and the release's objects (resolved
//     to their resources by Resolve) it returns every permission a deploy, upgrade,
//     rollback and uninstall of that release uses: the release records (Secrets) and lock
//     (a coordination.k8s.io Lease) in the release namespace; get, list, create, patch
//     (server-side apply, also as a dry run) and delete on each applied kind, plus watch on
//     each kind the tracker watches; list and watch on what tracking reads besides
//     (Events, Pods, ReplicaSets, EndpointSlices, ControllerRevisions, as pkg/track
//     declares) and get on pods/log for failure evidence. Each permission appears once.
//   - Reviewer.Missing asks the API server which of them the caller lacks: one
//     SelfSubjectRulesReview per namespace allows most at once, then one
//     SelfSubjectAccessReview per distinct permission still in doubt, sent in parallel,
//     decides the rest. Only an access review finds a permission missing. It never
//     changes anything.
//   - Roles turns permissions into the minimal Role per namespace and ClusterRole for
//     cluster-scoped resources: one rule per resource, verbs in a fixed order.
//   - A *MissingError names each missing permission and the Role rule that grants it.
package access
