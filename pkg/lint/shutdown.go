package lint

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// ShutdownBudgetAnnotation on a pod template holds the application's drain plus shutdown
// budget as a Go duration ("25s"): how long it needs from SIGTERM to exit. The graceful
// library documents and reports this value.
const ShutdownBudgetAnnotation = "shipsafe.io/shutdown-budget"

// defaultGracePeriod is the API default of terminationGracePeriodSeconds.
const defaultGracePeriod = 30 * time.Second

// checkShutdown applies SS003 (no preStop behind a Service) and SS004 (grace period too
// short for preStop plus the shutdown budget).
func checkShutdown(w *workload) []Finding {
	var fs []Finding
	if w.behindService {
		for _, c := range w.servingContainers() {
			if c.Lifecycle == nil || c.Lifecycle.PreStop == nil {
				fs = append(fs, w.finding(ruleNoPreStop, c.Name,
					fmt.Sprintf("container %q is behind a Service but has no preStop hook: it gets SIGTERM while endpoints, kube-proxy and load balancers still route new connections to it, and those are refused", c.Name),
					"add lifecycle: {preStop: {sleep: {seconds: 5}}} (the sleep action, GA in Kubernetes 1.34, needs no shell); on older clusters use exec: {command: [sleep, \"5\"]} if the image has a sleep binary (distroless images do not)"))
			}
		}
	}
	return append(fs, checkGracePeriod(w)...)
}

// checkGracePeriod applies SS004.
func checkGracePeriod(w *workload) []Finding {
	grace := defaultGracePeriod
	if g := w.template.Spec.TerminationGracePeriodSeconds; g != nil {
		grace = time.Duration(*g) * time.Second
	}
	var (
		preStop   time.Duration
		container string
	)
	for _, c := range w.template.Spec.Containers {
		if d := preStopDuration(c); d > preStop {
			preStop, container = d, c.Name
		}
	}
	raw, hasBudget := w.template.Annotations[ShutdownBudgetAnnotation]
	if !hasBudget {
		if preStop > 0 && preStop >= grace {
			return []Finding{w.finding(ruleGracePeriod, container,
				fmt.Sprintf("the preStop hook of %q waits %s but terminationGracePeriodSeconds is %s: the app is killed before it can shut down", container, preStop, grace),
				fmt.Sprintf("raise terminationGracePeriodSeconds above %d plus the app's drain and shutdown time, and declare that time in the pod template annotation %s (e.g. \"25s\") so this check can verify it", int(math.Ceil(preStop.Seconds())), ShutdownBudgetAnnotation))}
		}
		return nil
	}
	budget, err := time.ParseDuration(strings.TrimSpace(raw))
	if err != nil || budget < 0 {
		return []Finding{w.finding(ruleGracePeriod, "",
			fmt.Sprintf("pod template annotation %s=%q is not a non-negative Go duration", ShutdownBudgetAnnotation, raw),
			`write it as a Go duration such as "25s" or "1m30s"`)}
	}
	if need := preStop + budget; grace < need {
		return []Finding{w.finding(ruleGracePeriod, container,
			fmt.Sprintf("terminationGracePeriodSeconds is %s but the pod needs %s (preStop %s + shutdown budget %s): the kubelet sends SIGKILL while requests are in flight", grace, need, preStop, budget),
			fmt.Sprintf("set terminationGracePeriodSeconds to at least %d, a few seconds more for margin", int(math.Ceil(need.Seconds()))))}
	}
	return nil
}

// execSleep finds "sleep N" (N in seconds, optionally with an "s" suffix) in an exec
// command such as [sleep, "5"] or [/bin/sh, -c, "sleep 5 && ..."].
var execSleep = regexp.MustCompile(`(?:^|[\s;&|/])sleep\s+(\d+(?:\.\d+)?)s?(?:$|[\s;&|])`)

// preStopDuration returns how long c's preStop hook waits: the sleep action's seconds, or
// the first "sleep N" of an exec hook. Other hooks count as zero: their duration is
// unknown.
func preStopDuration(c corev1.Container) time.Duration {
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil {
		return 0
	}
	h := c.Lifecycle.PreStop
	switch {
	case h.Sleep != nil:
		return time.Duration(h.Sleep.Seconds) * time.Second
	case h.Exec != nil:
		m := execSleep.FindStringSubmatch(strings.Join(h.Exec.Command, " "))
		if m == nil {
			return 0
		}
		secs, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			return 0
		}
		return time.Duration(secs * float64(time.Second))
	}
	return 0
}
