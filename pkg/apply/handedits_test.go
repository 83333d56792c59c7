package apply

import (
	"errors"
	"reflect"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func conflictError(causes ...metav1.StatusCause) error {
	err := apierrors.NewApplyConflict(causes, "Apply failed with 1 conflict")
	return err
}

func TestTakeover(t *testing.T) {
	t.Parallel()
	got, ok := takeover(conflictError(
		metav1.StatusCause{Type: metav1.CauseTypeFieldManagerConflict, Field: ".spec.replicas",
			Message: `conflict with "kubectl-scale" with subresource "scale" using apps/v1`},
		metav1.StatusCause{Type: metav1.CauseTypeFieldManagerConflict, Field: `.spec.template.spec.containers[name="app"].env[name="V"].value`,
			Message: `conflict with "kubectl-set" using apps/v1`},
		metav1.StatusCause{Type: metav1.CauseTypeFieldManagerConflict, Field: ".metadata.labels.x",
			Message: `conflict with "kubectl-scale" using apps/v1`},
	))
	want := Takeover{
		Fields:   []string{".spec.replicas", `.spec.template.spec.containers[name="app"].env[name="V"].value`, ".metadata.labels.x"},
		Managers: []string{"kubectl-scale", "kubectl-set"},
	}
	if !ok || !reflect.DeepEqual(got, want) {
		t.Errorf("takeover = %+v, %v; want %+v", got, ok, want)
	}
}

func TestConflicts(t *testing.T) {
	t.Parallel()
	got, ok := Conflicts(conflictError(
		metav1.StatusCause{Field: ".spec.replicas", Message: `conflict with "kubectl-scale" with subresource "scale" using apps/v1`},
		metav1.StatusCause{Field: ".data.x", Message: `conflict with "helm" using v1`},
		metav1.StatusCause{Field: ".y", Message: "something else"},
	))
	want := []Conflict{
		{Path: ".spec.replicas", Manager: "kubectl-scale", Subresource: "scale"},
		{Path: ".data.x", Manager: "helm"},
		{Path: ".y", Manager: "something else"}, // no manager named the usual way: the message
	}
	if !ok || !reflect.DeepEqual(got, want) {
		t.Errorf("Conflicts = %+v, %v; want %+v", got, ok, want)
	}
	for name, err := range map[string]error{
		"not an API error": errors.New("boom"),
		"another status":   apierrors.NewNotFound(schema.GroupResource{Resource: "deployments"}, "web"),
		"no causes":        conflictError(),
	} {
		if _, ok := Conflicts(err); ok {
			t.Errorf("%s: Conflicts reported ok", name)
		}
	}
}

func TestOnlyHandEdits(t *testing.T) {
	t.Parallel()
	entries := []metav1.ManagedFieldsEntry{
		{Manager: "shipsafe", Operation: metav1.ManagedFieldsOperationApply},
		{Manager: "kubectl-scale", Operation: metav1.ManagedFieldsOperationUpdate, Subresource: "scale"},
		{Manager: "kubectl-edit", Operation: metav1.ManagedFieldsOperationUpdate},
		{Manager: "argocd", Operation: metav1.ManagedFieldsOperationApply},
		{Manager: "mixed", Operation: metav1.ManagedFieldsOperationUpdate},
		{Manager: "mixed", Operation: metav1.ManagedFieldsOperationApply},
	}
	cases := []struct {
		managers []string
		want     bool
	}{
		{[]string{"kubectl-scale"}, true},
		{[]string{"kubectl-scale", "kubectl-edit"}, true},
		{[]string{"argocd"}, false},                  // another tool's apply: a real conflict
		{[]string{"kubectl-scale", "argocd"}, false}, // any apply manager keeps it a conflict
		{[]string{"mixed"}, false},                   // it also applies
		{[]string{"unknown"}, false},                 // not on the object: do not guess
	}
	for _, tc := range cases {
		if got := onlyHandEdits(entries, tc.managers); got != tc.want {
			t.Errorf("onlyHandEdits(%v) = %v, want %v", tc.managers, got, tc.want)
		}
	}
}
