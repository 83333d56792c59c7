// Package release holds shipsafe's release records and the lock that serialises deploys.
//
// A release is a named set of Kubernetes objects deployed together; every deploy, rollback
// or uninstall of it is recorded as a numbered Revision with a Status. Revisions move
// through a small explicit state machine (see Transition): a deploy writes revision N as
// pending before it changes anything, then marks it deployed (and the previous deployed
// revision superseded), or failed or rolled-back. A rollback never re-deploys an old
// revision record: like Helm, it creates a NEW revision whose objects are copied from the
// old one, so history only ever grows and every record keeps what was actually applied.
//
// Storage of revisions lives in the sub-package store; this package only defines the data
// and its rules. The Locker takes a coordination.k8s.io/v1 Lease per release so that at
// most one deploy of a release runs at a time, while a killed deployer stops blocking
// others once its lease expires.
package release
