package lint

import (
	"cmp"
	"slices"

	"github.com/shipsafe/shipsafe/pkg/manifest"
)

// Severity says how bad a finding is.
type Severity string

// The severities, from worst to mildest.
const (
	// SeverityError marks a configuration that will drop traffic or be rejected; a
	// strict deploy refuses to go on.
	SeverityError Severity = "error"
	// SeverityWarning marks a configuration that usually drops traffic during rollouts.
	SeverityWarning Severity = "warning"
	// SeverityInfo marks a note worth knowing that is often a deliberate choice.
	SeverityInfo Severity = "info"
)

// Finding is one rule firing on one object (and, for container rules, one container).
type Finding struct {
	// Rule is the rule id, e.g. "SS001"; see Rules.
	Rule string `json:"rule"`
	// Severity is the rule's severity.
	Severity Severity `json:"severity"`
	// Object is the workload the finding is about.
	Object manifest.Key `json:"object"`
	// Container names the container, for rules about a single container.
	Container string `json:"container,omitempty"`
	// Message says what is wrong and why it matters.
	Message string `json:"message"`
	// Fix says what to change.
	Fix string `json:"fix"`
}

// HasErrors reports whether any finding has SeverityError.
func HasErrors(findings []Finding) bool {
	return slices.ContainsFunc(findings, func(f Finding) bool { return f.Severity == SeverityError })
}

// sortFindings orders findings by object, rule, container and message.
func sortFindings(fs []Finding) {
	slices.SortFunc(fs, func(a, b Finding) int {
		if c := a.Object.Compare(b.Object); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Rule, b.Rule); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Container, b.Container); c != 0 {
			return c
		}
		return cmp.Compare(a.Message, b.Message)
	})
}
