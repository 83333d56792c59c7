package apply

import (
	"errors"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shipsafe/shipsafe/pkg/manifest"
)

// ErrUnknownKind means the cluster serves no resource for an object's kind.
var ErrUnknownKind = errors.New("unknown kind")

// Error is a failure to apply, validate or delete one object.
type Error struct {
	Key manifest.Key
	Op  string // "apply", "validate", "delete"
	Err error
}

func (e *Error) Unwrap() error { return e.Err }

func (e *Error) Error() string {
	return fmt.Sprintf("%s %s: %s", e.Op, e.Key, explain(e.Err))
}

// IsInput reports whether err comes from the objects themselves or the caller's rights
// (invalid fields, unknown kinds, missing namespaces, conflicts with other field
// managers, forbidden), not from the cluster being unwell: retrying will not help, the
// input must change.
func IsInput(err error) bool {
	if errors.Is(err, ErrUnknownKind) {
		return true
	}
	var st apierrors.APIStatus
	if !errors.As(err, &st) {
		return false
	}
	switch st.Status().Reason {
	case metav1.StatusReasonInvalid, metav1.StatusReasonBadRequest, metav1.StatusReasonForbidden,
		metav1.StatusReasonConflict, metav1.StatusReasonNotFound, metav1.StatusReasonAlreadyExists,
		metav1.StatusReasonUnsupportedMediaType, metav1.StatusReasonRequestEntityTooLarge:
		return true
	}
	return false
}

// explain turns an API error into a sentence with what to do.
func explain(err error) string {
	var st apierrors.APIStatus
	if !errors.As(err, &st) {
		return err.Error()
	}
	s := st.Status()
	switch {
	case s.Reason == metav1.StatusReasonConflict && s.Details != nil && len(s.Details.Causes) > 0:
		var fields []string
		for _, c := range s.Details.Causes {
			fields = append(fields, fmt.Sprintf("%s (%s)", c.Field, strings.TrimPrefix(c.Message, "conflict with ")))
		}
		return fmt.Sprintf("fields owned by another manager: %s; re-run with --force-conflicts to take them, "+
			"or remove them from the manifest", strings.Join(fields, ", "))
	case s.Reason == metav1.StatusReasonForbidden:
		return fmt.Sprintf("forbidden: %s; ask for RBAC permission to apply this object", s.Message)
	case s.Reason == metav1.StatusReasonNotFound && s.Details != nil && s.Details.Kind == "namespaces":
		return fmt.Sprintf("namespace %q does not exist; create it or add a Namespace object to the release", s.Details.Name)
	case s.Reason == metav1.StatusReasonInvalid:
		return fmt.Sprintf("invalid: %s; fix the manifest", s.Message)
	}
	return s.Message
}
