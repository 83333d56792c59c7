package apply

import (
	"context"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
)

// Takeover describes fields a deploy took back from hand edits.
type Takeover struct {
	// Fields are the field paths, e.g. ".spec.replicas".
	Fields []string
	// Managers are the field managers that had changed them (kubectl-scale, kubectl-edit...).
	Managers []string
}

// takeover returns the fields and managers of a server-side apply conflict error, or
// ok=false when err is not one.
func takeover(err error) (t Takeover, ok bool) {
	cs, ok := Conflicts(err)
	if !ok {
		return Takeover{}, false
	}
	for _, c := range cs {
		t.Fields = append(t.Fields, c.Path)
		if !slices.Contains(t.Managers, c.Manager) {
			t.Managers = append(t.Managers, c.Manager)
		}
	}
	return t, true
}

// onlyHandEdits reports whether every one of managers wrote to the object only with
// imperative updates (kubectl edit, scale, set, patch; a script's PUT), never with
// server-side apply. Such changes are drift that the next deploy should repair; a field
// held by another apply manager (another tool) is a real conflict.
func onlyHandEdits(entries []metav1.ManagedFieldsEntry, managers []string) bool {
	for _, m := range managers {
		seen := false
		for _, e := range entries {
			if e.Manager != m {
				continue
			}
			seen = true
			if e.Operation != metav1.ManagedFieldsOperationUpdate {
				return false
			}
		}
		if !seen {
			return false
		}
	}
	return true
}

// takeBackHandEdits re-applies with force when err is a conflict caused only by hand
// edits, and returns what it took back. Otherwise it returns err unchanged.
func takeBackHandEdits(ctx context.Context, ri dynamic.ResourceInterface, name string, err error,
	reapply func() (*unstructured.Unstructured, error)) (*Takeover, *unstructured.Unstructured, error) {
	t, ok := takeover(err)
	if !ok {
		return nil, nil, err
	}
	live, gerr := ri.Get(ctx, name, metav1.GetOptions{})
	if gerr != nil || !onlyHandEdits(live.GetManagedFields(), t.Managers) {
		return nil, nil, err
	}
	out, rerr := reapply()
	if rerr != nil {
		return nil, nil, rerr
	}
	return &t, out, nil
}
