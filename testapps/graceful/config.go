package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// config is the app's settings: flags, each defaulting to an environment variable.
type config struct {
	addr            string
	version         string
	drainDelay      time.Duration
	shutdownTimeout time.Duration
	hookTimeout     time.Duration
	preStop         time.Duration // the pod's preStop sleep, counted in the grace check
}

// parseConfig reads flags from args over defaults from getenv. Durations are Go
// durations ("5s", "250ms") or whole seconds ("5").
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var errs []string
	dur := func(env string, def time.Duration) time.Duration {
		v := strings.TrimSpace(getenv(env))
		if v == "" {
			return def
		}
		d, err := parseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s=%q: %v", env, v, err))
			return def
		}
		return d
	}
	c := config{version: getenv("VERSION")}
	fs := flag.NewFlagSet("graceful", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", ":8080", "listen address")
	fs.DurationVar(&c.drainDelay, "drain-delay", dur("DRAIN_DELAY", 5*time.Second), "keep serving this long after SIGTERM with readiness failing (env DRAIN_DELAY; negative: none)")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", dur("SHUTDOWN_TIMEOUT", 10*time.Second), "bound on the HTTP shutdown (env SHUTDOWN_TIMEOUT)")
	fs.DurationVar(&c.hookTimeout, "hook-timeout", dur("HOOK_TIMEOUT", 2*time.Second), "bound on the cleanup hooks (env HOOK_TIMEOUT)")
	fs.DurationVar(&c.preStop, "prestop", dur("PRESTOP_DELAY", 0), "the pod's preStop sleep, for the grace-period check (env PRESTOP_DELAY)")
	if len(errs) > 0 {
		return config{}, fmt.Errorf("environment: %s", strings.Join(errs, "; "))
	}
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"shutdown-timeout", c.shutdownTimeout}, {"hook-timeout", c.hookTimeout}, {"prestop", c.preStop}} {
		if f.d < 0 {
			return config{}, fmt.Errorf("-%s=%s: want zero or more", f.name, f.d)
		}
	}
	if c.drainDelay == 0 {
		c.drainDelay = -1 // an explicit zero means no drain, not the library default
	}
	return c, nil
}

func parseDuration(v string) (time.Duration, error) {
	if n, err := strconv.Atoi(v); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	return time.ParseDuration(v)
}
