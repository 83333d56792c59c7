package release

import (
	"fmt"
	"os"
)

// ciJobVars are environment variables that identify a CI job, in order of preference.
func ciJobVars() []string {
	return []string{"GITHUB_RUN_ID", "CI_JOB_ID", "BUILDKITE_JOB_ID", "CIRCLE_WORKFLOW_JOB_ID", "BUILD_ID"}
}

// DefaultHolder returns an identity for the lock holder that a person can trace: the host
// name and process id, plus the CI job id when one of the usual variables is set, e.g.
// "runner-7/pid 412 (GITHUB_RUN_ID=9001)".
func DefaultHolder() string {
	host, _ := os.Hostname()
	return holderID(host, os.Getpid(), os.Getenv)
}

func holderID(host string, pid int, getenv func(string) string) string {
	if host == "" {
		host = "unknown-host"
	}
	id := fmt.Sprintf("%s/pid %d", host, pid)
	for _, k := range ciJobVars() {
		if v := getenv(k); v != "" {
			return fmt.Sprintf("%s (%s=%s)", id, k, v)
		}
	}
	return id
}
