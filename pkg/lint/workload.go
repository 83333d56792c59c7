package lint

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/shipsafe/shipsafe/pkg/manifest"
)

// SkipAnnotation on a workload's metadata lists rule ids, separated by commas, that Check
// does not report for it.
const SkipAnnotation = "shipsafe.io/lint-skip"

// workload is a pod-serving controller in a form every rule can read.
type workload struct {
	key manifest.Key
	// replicas is spec.replicas with the API default (1) applied; nil for DaemonSets.
	replicas *int32
	template corev1.PodTemplateSpec
	// deployment is set for Deployments, for the strategy rules.
	deployment *appsv1.Deployment
	// behindService is true when a Service of the set selects the pods.
	behindService bool
	// hasPDB is true when a PodDisruptionBudget of the set selects the pods.
	hasPDB bool
	// skip holds the rule ids of SkipAnnotation.
	skip map[string]bool
}

// inventory is the part of an object set the rules look at.
type inventory struct {
	workloads []*workload
	// unreadable holds findings for objects that do not convert to their typed form.
	unreadable []Finding
}

// newInventory reads the workloads, Services and PodDisruptionBudgets of objs.
func newInventory(objs []*unstructured.Unstructured) inventory {
	var (
		inv      inventory
		services []*corev1.Service
		pdbs     []*policyv1.PodDisruptionBudget
	)
	for _, o := range objs {
		key := manifest.KeyOf(o)
		var (
			w   *workload
			err error
		)
		switch {
		case key.Group == "apps" && key.Kind == "Deployment":
			d := &appsv1.Deployment{}
			if err = fromUnstructured(o, d); err == nil {
				w = &workload{replicas: orOne(d.Spec.Replicas), template: d.Spec.Template, deployment: d}
			}
		case key.Group == "apps" && key.Kind == "StatefulSet":
			s := &appsv1.StatefulSet{}
			if err = fromUnstructured(o, s); err == nil {
				w = &workload{replicas: orOne(s.Spec.Replicas), template: s.Spec.Template}
			}
		case key.Group == "apps" && key.Kind == "DaemonSet":
			d := &appsv1.DaemonSet{}
			if err = fromUnstructured(o, d); err == nil {
				w = &workload{template: d.Spec.Template}
			}
		case key.Group == "" && key.Kind == "Service":
			s := &corev1.Service{}
			if err = fromUnstructured(o, s); err == nil {
				services = append(services, s)
			}
		case key.Group == "policy" && key.Kind == "PodDisruptionBudget":
			p := &policyv1.PodDisruptionBudget{}
			if err = fromUnstructured(o, p); err == nil {
				pdbs = append(pdbs, p)
			}
		}
		if err != nil {
			inv.unreadable = append(inv.unreadable, Finding{
				Rule: ruleUnreadable, Severity: severityOf(ruleUnreadable), Object: key,
				Message: fmt.Sprintf("cannot read %s %s: %v", o.GetAPIVersion(), key.Kind, err),
				Fix:     "correct the field types to match the Kubernetes API reference (numbers unquoted, lists as lists)",
			})
		}
		if w != nil {
			w.key = key
			w.skip = parseSkip(o.GetAnnotations()[SkipAnnotation])
			inv.workloads = append(inv.workloads, w)
		}
	}
	for _, w := range inv.workloads {
		podLabels := labels.Set(w.template.Labels)
		for _, s := range services {
			if s.Namespace == w.key.Namespace && s.Spec.Type != corev1.ServiceTypeExternalName &&
				len(s.Spec.Selector) > 0 && labels.SelectorFromSet(s.Spec.Selector).Matches(podLabels) {
				w.behindService = true
			}
		}
		for _, p := range pdbs {
			if p.Namespace == w.key.Namespace && pdbSelects(p, podLabels) {
				w.hasPDB = true
			}
		}
	}
	return inv
}

// fromUnstructured converts o into the typed object into.
func fromUnstructured(o *unstructured.Unstructured, into any) error {
	return runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, into)
}

// orOne applies the API default of 1 to an unset replica count.
func orOne(r *int32) *int32 {
	if r != nil {
		return r
	}
	one := int32(1)
	return &one
}

// pdbSelects reports whether p covers pods with podLabels: in policy/v1 an empty selector
// selects every pod of the namespace and a missing one selects none.
func pdbSelects(p *policyv1.PodDisruptionBudget, podLabels labels.Set) bool {
	if p.Spec.Selector == nil {
		return false
	}
	sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
	return err == nil && sel.Matches(podLabels)
}

// parseSkip reads the rule ids of a SkipAnnotation value, e.g. "SS006, SS008".
func parseSkip(v string) map[string]bool {
	skip := map[string]bool{}
	for id := range strings.SplitSeq(v, ",") {
		if id = strings.ToUpper(strings.TrimSpace(id)); id != "" {
			skip[id] = true
		}
	}
	return skip
}
