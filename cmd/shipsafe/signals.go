package main

import (
	"fmt"
	"io"
	"os"
)

// cancellation turns the signals read from sigs into the run's cancellation, until sigs
// is closed:
//   - the first signal calls cancel: a deploy stops and rolls back under its own
//     --rollback-timeout;
//   - a signal of another kind after it is the same cancellation, escalated by a CI
//     runner (GitHub Actions and Azure Pipelines send SIGTERM 7.5 s after SIGINT): it
//     changes nothing, and the rollback goes on;
//   - the first signal again (Ctrl-C pressed twice, SIGTERM sent twice) is an order to
//     give up: stop is closed, the rollback stops at once, its records are still written
//     and the release is reported not restored.
//
// Each signal after the first is noted on w.
func cancellation(sigs <-chan os.Signal, cancel func(), stop chan<- struct{}, w io.Writer) {
	first, ok := <-sigs
	if !ok {
		return
	}
	cancel()
	stopped := false
	for sig := range sigs {
		switch {
		case stopped:
		case sig.String() == first.String():
			stopped = true
			close(stop)
			fmt.Fprintf(w, "shipsafe: %v again: giving up the rollback; the release is recorded as not restored\n", sig)
		default:
			fmt.Fprintf(w, "shipsafe: %v after %v: the same cancellation, the rollback goes on (send %v again to give it up)\n", sig, first, first)
		}
	}
}
