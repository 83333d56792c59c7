package graceful

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// BudgetAnnotation is the pod-template annotation that states how long the app needs
// between SIGTERM and exit: drain delay, shutdown and hooks, as a Go duration string such
// as "20s" (Options.Budget().String() gives it). `shipsafe lint` reads it and checks that
// terminationGracePeriodSeconds covers the preStop hook plus this budget.
const BudgetAnnotation = "shipsafe.io/shutdown-budget"

// GracePeriodEnv is the environment variable through which a pod tells the app its
// terminationGracePeriodSeconds. Kubernetes does not expose that field through the
// downward API, so the manifest sets it next to the field, as a whole number of seconds.
const GracePeriodEnv = "TERMINATION_GRACE_PERIOD_SECONDS"

// GraceFromEnv reads GracePeriodEnv through getenv (os.Getenv in a program). It returns
// ok=false when the variable is unset or empty, and an error when it is not a whole,
// non-negative number of seconds.
func GraceFromEnv(getenv func(string) string) (grace time.Duration, ok bool, err error) {
	v := strings.TrimSpace(getenv(GracePeriodEnv))
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil || n < 0 {
		return 0, false, fmt.Errorf("%s=%q: want a whole number of seconds, as in terminationGracePeriodSeconds", GracePeriodEnv, v)
	}
	return time.Duration(n) * time.Second, true, nil
}

// CheckGrace returns nil when preStop plus budget fits in grace, and otherwise an error
// naming the numbers and the fix: the kubelet sends SIGKILL at the end of the grace
// period, which counts from the start of the preStop hook, so anything still draining then
// is cut off. Services call it at start and log the error as a warning.
func CheckGrace(budget, preStop, grace time.Duration) error {
	need := preStop + budget
	if need <= grace {
		return nil
	}
	return fmt.Errorf("shutdown budget %s (preStop %s + drain/shutdown/hooks %s) exceeds terminationGracePeriodSeconds %d: "+
		"raise terminationGracePeriodSeconds to at least %d or shorten the drain delay and timeouts",
		need, preStop, budget, int64(grace/time.Second), int64((need+time.Second-1)/time.Second))
}
