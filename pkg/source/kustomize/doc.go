// Package kustomize is a manifest source that builds a kustomization directory (a base or
// an overlay) with kustomize's own Go API (sigs.k8s.io/kustomize/api/krusty), the same
// engine as `kubectl kustomize`, reading the files from disk.
//
// The build uses kustomize's defaults: load restrictions to the kustomization's root,
// plugins and Helm inflation disabled, and the resource order of the kustomization's
// sortOptions or else kustomize's legacy order, so the output matches `kubectl kustomize
// DIR` object for object. The rendered stream is decoded with manifest.Decode, so bad
// objects are reported, and matched with manifest.ErrInvalid, exactly like those of plain
// files; a kustomization that does not build is bad input too.
package kustomize
