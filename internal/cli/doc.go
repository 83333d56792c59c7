// Package cli is shipsafe's command line: one file per command. Each command binds its
// flags to an options struct, calls one library action, and renders the result and the
// action's events. Exit codes are decided here and only here (see exit.go).
package cli
