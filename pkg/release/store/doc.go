// Package store keeps release revisions: the Store interface, a driver on Kubernetes
// Secrets (the production one, one Secret per revision), an in-memory driver for tests and
// dry runs, and Prune, which applies a history limit. Every driver passes the conformance
// suite in the storetest sub-package.
//
// A revision is encoded as JSON and then gzip'd; a body larger than MaxRecordSize is
// refused with a *TooLargeError, never truncated. The Secret driver keeps a body larger
// than MaxPartSize in part Secrets that the record Secret names, with the body's digest.
package store
