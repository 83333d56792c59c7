package cli

import "os"

// notifyResize returns nil on Windows, which has no SIGWINCH: the live table follows a
// resize on its next tick.
func notifyResize() (<-chan os.Signal, func()) { return nil, func() {} }
