package access

import (
	"fmt"
	"strings"
)

// MissingError lists the permissions the caller lacks, found before anything changed.
type MissingError struct {
	// Release names the release whose deploy needs them.
	Release string
	// Missing holds each missing permission once, sorted.
	Missing []Permission
}

func (e *MissingError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "release %q: missing permissions, checked before any change (nothing was changed):\n", e.Release)
	for _, p := range e.Missing {
		fmt.Fprintf(&b, "  cannot %s\n", p)
	}
	b.WriteString("grant them with these RBAC rules:\n")
	set := Roles("", "", e.Missing)
	if set.ClusterRole != nil {
		for _, r := range set.ClusterRole.Rules {
			fmt.Fprintf(&b, "  ClusterRole rule %s\n", RuleText(r))
		}
	}
	for _, role := range set.Roles {
		for _, r := range role.Rules {
			fmt.Fprintf(&b, "  Role rule in namespace %q: %s\n", role.Namespace, RuleText(r))
		}
	}
	fmt.Fprintf(&b, "`shipsafe rbac %s` with the same sources and -n prints the whole Role the release needs", e.Release)
	return b.String()
}
