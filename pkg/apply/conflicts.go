package apply

import (
	"errors"
	"regexp"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Conflict is a field an apply sets that another field manager owns: server-side apply
// refuses to take it without force.
type Conflict struct {
	// Path is the field as the API server names it, e.g. ".spec.replicas".
	Path string `json:"path"`
	// Manager owns the field now, e.g. "kubectl-scale".
	Manager string `json:"manager"`
	// Subresource is the subresource the manager wrote it through, e.g. "scale".
	Subresource string `json:"subresource,omitempty"`
}

// conflictManager pulls the manager and subresource out of the API server's conflict
// cause, `conflict with "kubectl" with subresource "scale" using apps/v1`.
var conflictManager = regexp.MustCompile(`conflict with "([^"]*)"(?: with subresource "([^"]*)")?`)

// Conflicts returns the conflicts of a server-side apply conflict error, in the server's
// order, and ok=false when err is not one. A cause whose message does not name a manager
// the usual way keeps the whole message as Manager.
func Conflicts(err error) (conflicts []Conflict, ok bool) {
	var st apierrors.APIStatus
	if !errors.As(err, &st) || st.Status().Reason != metav1.StatusReasonConflict || st.Status().Details == nil {
		return nil, false
	}
	for _, c := range st.Status().Details.Causes {
		conflict := Conflict{Path: c.Field, Manager: c.Message}
		if sub := conflictManager.FindStringSubmatch(c.Message); sub != nil {
			conflict.Manager, conflict.Subresource = sub[1], sub[2]
		}
		conflicts = append(conflicts, conflict)
	}
	return conflicts, len(conflicts) > 0
}
