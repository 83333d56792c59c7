// Package dist tests the release build (scripts/dist.sh, `make dist`): it is
// reproducible and stamps the version. Slow (it cross-compiles), so it runs with
// `make dist-test`, not in -short runs.
package dist
