// Package helmrelease reads a Helm 3 or Helm 4 release from Helm's own storage (the
// Secret driver, Helm's default): the manifest of its last deployed revision, so that
// shipsafe can take the release over. It only reads; Helm's records are left untouched.
package helmrelease
