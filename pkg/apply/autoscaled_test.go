package apply

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
)

var deploymentsGVR = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}

func deployment(name string, replicas int64, managers ...metav1.ManagedFieldsEntry) *unstructured.Unstructured {
	d := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": name, "namespace": "shop"},
		"spec":     map[string]any{"replicas": replicas},
	}}
	d.SetManagedFields(managers)
	return d
}

func owns(manager, sub string, fields string) metav1.ManagedFieldsEntry {
	return metav1.ManagedFieldsEntry{Manager: manager, Operation: metav1.ManagedFieldsOperationUpdate, Subresource: sub,
		FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(fields)}}
}

func TestAutoscalersMatchScaleTargetRef(t *testing.T) {
	t.Parallel()
	h := autoscalers{}
	h.add(&unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
		"metadata": map[string]any{"name": "web-hpa", "namespace": "shop"},
		"spec":     map[string]any{"scaleTargetRef": map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}},
	}})
	if name, ok := h.of(deployment("web", 1)); !ok || name != "web-hpa" {
		t.Errorf("Deployment shop/web: HPA %q, %v; want web-hpa", name, ok)
	}
	other := deployment("web", 1)
	other.SetNamespace("prod")
	for _, o := range []*unstructured.Unstructured{deployment("api", 1), other} {
		if name, ok := h.of(o); ok {
			t.Errorf("%s/%s: scaled by %q, want by none", o.GetNamespace(), o.GetName(), name)
		}
	}
}

func TestLeaveReplicas(t *testing.T) {
	t.Parallel()
	replicas := `{"f:spec":{"f:replicas":{}}}`
	tests := []struct {
		name string
		live *unstructured.Unstructured // nil: the workload does not exist
		// wantReplicas is what the apply body sets; -1 when it leaves the field out.
		wantReplicas int64
		wantKept     bool
	}{
		{name: "a new workload starts at the manifest's count", wantReplicas: 2},
		{name: "scaled by the HPA through the scale subresource: left out, so its owner keeps it",
			live:         deployment("web", 5, owns(FieldManager, "", replicas), owns("kube-controller-manager", "scale", replicas)),
			wantReplicas: -1, wantKept: true},
		{name: "owned by shipsafe alone: set to the live count, since leaving it out would reset it",
			live:         deployment("web", 3, owns(FieldManager, "", replicas), owns("kube-controller-manager", "status", `{"f:status":{"f:replicas":{}}}`)),
			wantReplicas: 3, wantKept: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var objs []runtime.Object
			if tt.live != nil {
				objs = append(objs, tt.live)
			}
			dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
				map[schema.GroupVersionResource]string{deploymentsGVR: "DeploymentList"}, objs...)
			body, kept, err := leaveReplicas(context.Background(), dyn.Resource(deploymentsGVR).Namespace("shop"), deployment("web", 2), "web-hpa")
			if err != nil {
				t.Fatal(err)
			}
			got, found, _ := unstructured.NestedInt64(body.Object, "spec", "replicas")
			if !found {
				got = -1
			}
			if got != tt.wantReplicas {
				t.Errorf("applied replicas %d, want %d (-1: left out)", got, tt.wantReplicas)
			}
			if (kept != nil) != tt.wantKept {
				t.Fatalf("kept = %+v, want kept %v", kept, tt.wantKept)
			}
			if kept != nil && (kept.HPA != "web-hpa" || kept.Replicas != tt.live.Object["spec"].(map[string]any)["replicas"].(int64) ||
				kept.Manifest == nil || *kept.Manifest != 2) {
				t.Errorf("kept = %+v (manifest %v)", kept, kept.Manifest)
			}
		})
	}
}

func TestConflictsOn(t *testing.T) {
	t.Parallel()
	err := conflictError(metav1.StatusCause{Field: ".spec.replicas", Message: `conflict with "kube-controller-manager" with subresource "scale" using apps/v1`})
	if !conflictsOn(err, ".spec.replicas") || conflictsOn(err, ".spec.template") || conflictsOn(nil, ".spec.replicas") {
		t.Error("conflictsOn does not tell the conflict's field")
	}
}
