// Package storetest is the conformance suite of store.Store: every driver runs Run against
// a fresh store per test, so all drivers behave alike (ordering, sentinel errors, optimistic
// updates, atomic creation, isolation from callers, the size limit).
package storetest
