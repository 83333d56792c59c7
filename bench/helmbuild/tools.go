//go:build tools

// Package helmbuild records the Helm command the benchmarks build.
package helmbuild

import _ "helm.sh/helm/v4/cmd/helm"
