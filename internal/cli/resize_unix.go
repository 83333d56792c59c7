//go:build !windows

package cli

import (
	"os"
	"os/signal"
	"syscall"
)

// notifyResize returns a channel that receives when the terminal is resized (SIGWINCH),
// and a function that stops the notifications.
func notifyResize() (<-chan os.Signal, func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGWINCH)
	return ch, func() { signal.Stop(ch) }
}
