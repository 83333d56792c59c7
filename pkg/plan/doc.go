// Package plan decides what a deploy of a release will do, from its objects, its history
// and what exists in the cluster, without changing anything: how the objects are
// normalized (namespace, release label), which of them a server-side dry run can check
// first, which existing objects the release may take (the ownership policy), and which
// objects a deploy prunes (those the last deployed revision had, plus those failed
// revisions since left behind). Package deploy carries these decisions out and package
// diff previews them; both call this package, so they agree by construction.
//
// Errors that mean the input must change, with nothing changed in the cluster, are
// *InputError.
package plan
