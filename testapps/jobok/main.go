// Command jobok is a batch step that succeeds: it prints one line naming its VERSION (and
// its STEP, if set) to stdout and exits 0, so a Job running it completes. Tests use it as
// a Helm hook Job (a migration that works).
package main

import (
	"fmt"
	"os"
)

func main() {
	step := os.Getenv("STEP")
	if step == "" {
		step = "job"
	}
	fmt.Printf("%s done for version %s\n", step, os.Getenv("VERSION"))
}
