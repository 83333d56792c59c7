// Package e2e holds end-to-end tests: they drive the built shipsafe binary (and client-go
// for checks) against the project's real local cluster. Without a cluster they fail with
// the command that brings one up; they never skip silently.
package e2e
