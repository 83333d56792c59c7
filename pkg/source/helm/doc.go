// Package helm renders Helm charts into the objects and hooks of one deploy with Helm's own
// Go SDK (helm.sh/helm/v4), so that what shipsafe deploys is what `helm template` and
// `helm install` would produce.
//
// Chart.Render loads a chart from a directory or a .tgz on the local disk, refuses one
// whose Chart.yaml lists a dependency missing from charts/ (run `helm dependency build`;
// nothing is ever downloaded), merges values exactly as Helm does (the chart's values <
// --values files in order < --set-json < --set < --set-string < --set-file <
// --set-literal, with Helm's strvals parser), applies dependency conditions, tags and
// import-values, validates against values.schema.json, and runs Helm's template engine
// with .Release (Name, Namespace, IsInstall, IsUpgrade, Revision) and .Capabilities.
//
// With a Cluster, .Capabilities hold the live cluster's version and served API versions and
// the lookup function reads the cluster, as `helm install` does; without one the render is
// offline like `helm template`: Helm's default Capabilities, and lookup returns an empty map.
//
// The result separates what Helm separates. Objects are the CRDs of crds/ directories
// first (Helm installs them before anything else) and then the rendered templates in
// Helm's install order, each decoded with manifest.Decode so that validation and error
// messages are those of plain manifests. Hooks (annotation helm.sh/hook) come apart,
// with their events, weight and delete policies, in the order Helm runs them (weight,
// then name). NOTES.txt is returned as text. Documents whose helm.sh/hook names an event
// Helm does not know, which Helm drops silently, are reported in Unknown.
//
// Every error about the input matches manifest.ErrInvalid; errors reading the cluster do
// not. The package keeps no state and writes nothing.
package helm
