package apply

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// HPAResource is the resource of HorizontalPodAutoscalers that Apply lists in the
// namespaces of the workloads it applies.
var HPAResource = schema.GroupVersionResource{Group: "autoscaling", Version: "v2", Resource: "horizontalpodautoscalers"}

// KeptReplicas says that an apply left a workload's spec.replicas as it was in the
// cluster because a HorizontalPodAutoscaler scales it.
type KeptReplicas struct {
	// HPA is the name of the HorizontalPodAutoscaler (in the workload's namespace).
	HPA string
	// Replicas is the live replica count that was kept.
	Replicas int64
	// Manifest is the count the manifest sets; nil when it sets none.
	Manifest *int64
}

// Scalable reports whether an HPA may own the spec.replicas of kind group/kind: the
// workloads of the scale subresource whose replicas live at spec.replicas.
func Scalable(group, kind string) bool {
	switch group + "/" + kind {
	case "apps/Deployment", "apps/StatefulSet", "apps/ReplicaSet", "/ReplicationController":
		return true
	}
	return false
}

// scaleTarget is a workload an HPA scales.
type scaleTarget struct {
	group, kind, namespace, name string
}

// autoscalers maps each workload that an HPA scales to the HPA's name.
type autoscalers map[scaleTarget]string

// of returns the name of the HPA that scales obj, if one does.
func (h autoscalers) of(obj *unstructured.Unstructured) (string, bool) {
	gvk := obj.GroupVersionKind()
	name, ok := h[scaleTarget{gvk.Group, gvk.Kind, obj.GetNamespace(), obj.GetName()}]
	return name, ok
}

// add records what hpa (an HPA object in any autoscaling version) scales.
func (h autoscalers) add(hpa *unstructured.Unstructured) {
	ref, _, _ := unstructured.NestedStringMap(hpa.Object, "spec", "scaleTargetRef")
	gv, err := schema.ParseGroupVersion(ref["apiVersion"])
	if err != nil || ref["kind"] == "" || ref["name"] == "" {
		return
	}
	h[scaleTarget{gv.Group, ref["kind"], hpa.GetNamespace(), ref["name"]}] = hpa.GetName()
}

// isHPA reports whether obj is a HorizontalPodAutoscaler.
func isHPA(obj *unstructured.Unstructured) bool {
	return obj.GetKind() == "HorizontalPodAutoscaler" && obj.GroupVersionKind().Group == HPAResource.Group
}

// autoscalersOf returns the HPAs that scale any of objs: those among objs and those in
// the cluster, listed once per namespace holding a Scalable workload of objs. A cluster
// that does not serve autoscaling/v2 has none; a caller who may not list them gets an
// error naming the permission.
func (a *Applier) autoscalersOf(ctx context.Context, objs []*unstructured.Unstructured) (autoscalers, error) {
	out := autoscalers{}
	var namespaces []string
	for _, o := range objs {
		gvk := o.GroupVersionKind()
		if Scalable(gvk.Group, gvk.Kind) && o.GetNamespace() != "" && !slices.Contains(namespaces, o.GetNamespace()) {
			namespaces = append(namespaces, o.GetNamespace())
		}
	}
	if len(namespaces) == 0 {
		return out, nil
	}
	for _, ns := range namespaces {
		list, err := a.dynamic.Resource(HPAResource).Namespace(ns).List(ctx, metav1.ListOptions{})
		switch {
		case apierrors.IsNotFound(err):
			continue
		case apierrors.IsForbidden(err):
			return nil, fmt.Errorf("list HorizontalPodAutoscalers in namespace %q, to leave the replicas they scale to them: %w; "+
				"grant list on horizontalpodautoscalers.autoscaling (see `shipsafe rbac`)", ns, err)
		case err != nil:
			return nil, fmt.Errorf("list HorizontalPodAutoscalers in namespace %q: %w", ns, err)
		}
		for i := range list.Items {
			out.add(&list.Items[i])
		}
	}
	// The release's own HPAs count even before they are applied (the same deploy).
	for _, o := range objs {
		if isHPA(o) {
			out.add(o)
		}
	}
	return out, nil
}

// leaveReplicas returns body (an object about to be applied, which hpa scales) with its
// spec.replicas left to the HPA, and what was kept; kept is nil when the workload does
// not exist yet, which is then created with the manifest's count for the HPA to scale.
// When another field manager owns the live spec.replicas (the HPA's
// kube-controller-manager, or a person), the field is left out of the apply, so that
// server-side apply keeps their value; when shipsafe alone owns it, leaving it out would
// reset it to the default, so the apply sets the live value instead.
func leaveReplicas(ctx context.Context, ri dynamic.ResourceInterface, body *unstructured.Unstructured, hpa string) (*unstructured.Unstructured, *KeptReplicas, error) {
	live, err := ri.Get(ctx, body.GetName(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return body, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read the live replicas (HorizontalPodAutoscaler %s scales it): %w", hpa, err)
	}
	replicas, found, _ := unstructured.NestedInt64(live.Object, "spec", "replicas")
	if !found {
		return body, nil, nil
	}
	kept := &KeptReplicas{HPA: hpa, Replicas: replicas}
	if m, ok, _ := unstructured.NestedInt64(body.Object, "spec", "replicas"); ok {
		kept.Manifest = &m
	}
	out := body.DeepCopy()
	if ownedByOthers(live.GetManagedFields(), replicasPath) {
		unstructured.RemoveNestedField(out.Object, "spec", "replicas")
	} else if err := unstructured.SetNestedField(out.Object, replicas, "spec", "replicas"); err != nil {
		return nil, nil, fmt.Errorf("set replicas: %w", err)
	}
	return out, kept, nil
}

// replicasPath is spec.replicas as a managedFields path.
var replicasPath = fieldpath.MakePathOrDie("spec", "replicas")

// ownedByOthers reports whether a field manager other than FieldManager owns the field
// at path according to entries (managedFields). Entries that cannot be parsed are
// skipped.
func ownedByOthers(entries []metav1.ManagedFieldsEntry, path fieldpath.Path) bool {
	for _, e := range entries {
		if e.Manager == FieldManager || e.FieldsV1 == nil {
			continue
		}
		set := &fieldpath.Set{}
		if set.FromJSON(bytes.NewReader(e.FieldsV1.Raw)) != nil {
			continue
		}
		if set.Has(path) {
			return true
		}
	}
	return false
}
