// Command shipsafe deploys to Kubernetes safely. See `shipsafe --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"syscall"

	"github.com/go-logr/logr"
	"k8s.io/klog/v2"

	"github.com/shipsafe/shipsafe/internal/cli"
)

func main() {
	// client-go logs through klog to stderr; shipsafe reports errors itself.
	klog.SetLogger(logr.Discard())
	// A command is a short run that keeps most of what it allocates (objects, records):
	// collecting when the heap has tripled rather than doubled costs a deploy of 1,000
	// objects about a tenth less CPU for a few MB more memory. GOGC, when set, decides.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
	if path := os.Getenv("SHIPSAFE_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			code := run()
			pprof.StopCPUProfile()
			f.Close()
			os.Exit(code)
		}
	}
	os.Exit(run())
}

// run cancels the context on the first SIGINT, SIGTERM or SIGHUP (a closed terminal or a
// CI template forwarding it; a deploy then rolls back under its own timeout) and closes
// stop when that same signal comes again (see cancellation).
func run() int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := make(chan struct{})
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	go cancellation(sigs, cancel, stop, os.Stderr)
	return cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, stop)
}
