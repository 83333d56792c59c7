// Command crash writes one fatal line to stderr and exits 1 at start, so its pods end in
// CrashLoopBackOff.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintf(os.Stderr, "fatal: cannot start version %s: required setting DATABASE_URL is empty\n", os.Getenv("VERSION"))
	os.Exit(1)
}
