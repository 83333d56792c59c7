// Package manifest turns user input into the Kubernetes objects of one deploy and knows how
// to name and order them.
//
// Loading: a Source yields []*unstructured.Unstructured. FileSource reads plain YAML and
// JSON from files, directories (recursively, in lexical order, only *.yaml, *.yml and
// *.json) and "-" for a caller-supplied stdin reader. Multi-document streams are split on
// "---" lines, empty and comment-only documents are skipped, and List kinds (v1 List or any
// *List with items) are flattened. Decode does the same for a single stream, so later
// sources (kustomize, Helm) can hand their rendered output to it.
//
// Every problem in the input is reported as a *DocumentError or *DuplicateError naming the
// file, line and document, the reason and what to do; all of them match ErrInvalid with
// errors.Is, so a caller can treat them as bad input (nothing was changed).
//
// Naming: Key identifies an object by group, kind, namespace and name; Key.String renders
// "apps/Deployment prod/web" (the group is omitted for the core group, the namespace for
// cluster-scoped objects: "Service prod/web", "Namespace prod").
//
// Preparing: SetDefaultNamespace fills in the namespace of namespaced objects and clears it
// from cluster-scoped ones; SetReleaseLabel marks objects as managed by a release (never
// their pod templates); SortForApply, Groups and SortForDelete give a deterministic order.
//
// The package is pure: it does no network I/O and keeps no state; the RESTMapper lookup
// SetDefaultNamespace needs is passed in as a function.
package manifest
