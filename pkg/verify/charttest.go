package verify

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// WithJobChecks returns spec (a Verification object, or nil for none) with one job check
// added per object of tests, chart `test` hooks: a Job runs as it is, a Pod as the
// template of a Job (restartPolicy Never, no retries). With no spec, a new Verification
// named name holds only these checks, with a window of 0s: each Job runs once. The
// result is validated with Parse; spec itself is not changed.
func WithJobChecks(spec *unstructured.Unstructured, name string, tests []*unstructured.Unstructured) (*unstructured.Unstructured, error) {
	if len(tests) == 0 {
		return spec, nil
	}
	out := spec.DeepCopy()
	if out == nil {
		out = &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": APIVersion, "kind": Kind,
			"metadata": map[string]any{"name": name},
			"spec":     map[string]any{"for": "0s"},
		}}
	}
	checks, _, err := unstructured.NestedSlice(out.Object, "spec", "checks")
	if err != nil {
		return nil, fmt.Errorf("%s %q: spec.checks: %w", Kind, out.GetName(), err)
	}
	for _, t := range tests {
		c, err := jobCheckOf(t)
		if err != nil {
			return nil, err
		}
		checks = append(checks, c)
	}
	if err := unstructured.SetNestedSlice(out.Object, checks, "spec", "checks"); err != nil {
		return nil, fmt.Errorf("%s %q: spec.checks: %w", Kind, out.GetName(), err)
	}
	if _, err := Parse(out); err != nil {
		return nil, fmt.Errorf("chart test hooks as verification checks: %w", err)
	}
	return out, nil
}

// jobCheckOf turns one test hook into a job check named "test-<object name>".
func jobCheckOf(obj *unstructured.Unstructured) (map[string]any, error) {
	name := checkName("test-" + obj.GetName())
	spec, _, _ := unstructured.NestedMap(obj.Object, "spec")
	gvk := obj.GroupVersionKind()
	switch {
	case gvk.Group == "batch" && gvk.Kind == "Job":
		return map[string]any{"name": name, "job": map[string]any{"spec": spec}}, nil
	case gvk.Group == "" && gvk.Kind == "Pod":
		if p, _, _ := unstructured.NestedString(spec, "restartPolicy"); p == "" || p == "Always" {
			spec["restartPolicy"] = "Never"
		}
		meta := map[string]any{}
		if l := obj.GetLabels(); len(l) > 0 {
			labels := map[string]any{}
			for k, v := range l {
				labels[k] = v
			}
			meta["labels"] = labels
		}
		return map[string]any{"name": name, "job": map[string]any{"spec": map[string]any{
			"backoffLimit": int64(0),
			"template":     map[string]any{"metadata": meta, "spec": spec},
		}}}, nil
	}
	return nil, fmt.Errorf("chart test hook %s/%s is a %s: only Pods and Jobs run as verification checks", obj.GetNamespace(), obj.GetName(), gvk.Kind)
}

// checkName makes s a valid check name: lowercase letters, digits and '-', at most 40.
func checkName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	out := b.String()
	if len(out) > 40 {
		out = out[:40]
	}
	return strings.Trim(out, "-")
}
