package release

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestObjectRef(t *testing.T) {
	t.Parallel()
	tests := []struct {
		obj  map[string]any
		want ObjectRef
		str  string
	}{
		{
			map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "web", "namespace": "prod"}},
			ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "prod", Name: "web"},
			"Deployment prod/web",
		},
		{
			map[string]any{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": map[string]any{"name": "reader"}},
			ObjectRef{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole", Name: "reader"},
			"ClusterRole reader",
		},
	}
	for _, tc := range tests {
		t.Run(tc.str, func(t *testing.T) {
			t.Parallel()
			ref := RefOf(&unstructured.Unstructured{Object: tc.obj})
			if ref != tc.want {
				t.Fatalf("RefOf = %+v, want %+v", ref, tc.want)
			}
			if ref.String() != tc.str {
				t.Fatalf("String = %q, want %q", ref.String(), tc.str)
			}
		})
	}
}

func TestDeepCopy(t *testing.T) {
	t.Parallel()
	if (*Revision)(nil).DeepCopy() != nil {
		t.Fatal("DeepCopy of nil is not nil")
	}
	orig := &Revision{
		Release: "web", Number: 2, Status: StatusPending,
		Objects:  []*unstructured.Unstructured{{Object: map[string]any{"kind": "ConfigMap", "data": map[string]any{"k": "v"}}}},
		Created:  []ObjectRef{{Kind: "ConfigMap", Name: "c"}},
		Adopted:  []*unstructured.Unstructured{{Object: map[string]any{"kind": "ConfigMap", "data": map[string]any{"k": "was"}}}},
		Evidence: []string{"e"},
		Verified: &Verified{Passed: true, Checks: []string{"check"}},
		Progress: &Progress{Applied: true},
		Unpruned: []ObjectRef{{Kind: "ConfigMap", Name: "old"}},
		Hooks: []Hook{{Object: &unstructured.Unstructured{Object: map[string]any{"kind": "Job"}},
			Events: []string{"pre-delete"}, DeletePolicies: []string{"hook-succeeded"}}},
	}
	c := orig.DeepCopy()
	c.Hooks[0].Object.Object["kind"] = "changed"
	c.Hooks[0].Events[0] = "changed"
	c.Hooks[0].DeletePolicies[0] = "changed"
	c.Objects[0].Object["data"].(map[string]any)["k"] = "changed"
	c.Objects[0] = nil
	c.Created[0].Name = "changed"
	c.Adopted[0].Object["data"].(map[string]any)["k"] = "changed"
	c.Evidence[0] = "changed"
	c.Verified.Checks[0], c.Verified.Passed = "changed", false
	c.Progress.Ready = true
	c.Unpruned[0].Name = "changed"
	c.Status = StatusFailed
	if orig.Objects[0] == nil || orig.Objects[0].Object["data"].(map[string]any)["k"] != "v" ||
		orig.Created[0].Name != "c" || orig.Adopted[0].Object["data"].(map[string]any)["k"] != "was" || orig.Evidence[0] != "e" || orig.Status != StatusPending ||
		orig.Progress.Ready || orig.Verified.Checks[0] != "check" || !orig.Verified.Passed || orig.Unpruned[0].Name != "old" ||
		orig.Hooks[0].Object.GetKind() != "Job" || orig.Hooks[0].Events[0] != "pre-delete" || orig.Hooks[0].DeletePolicies[0] != "hook-succeeded" {
		t.Fatalf("changing the copy changed the original: %+v", orig)
	}
}
