package lint

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
)

// servingContainers returns the containers that receive traffic: those declaring ports,
// or, for a workload behind a Service whose containers declare none, all of them.
func (w *workload) servingContainers() []corev1.Container {
	var out []corev1.Container
	for _, c := range w.template.Spec.Containers {
		if len(c.Ports) > 0 {
			out = append(out, c)
		}
	}
	if len(out) == 0 && w.behindService {
		return w.template.Spec.Containers
	}
	return out
}

// checkProbes applies SS001 (no readiness probe) and SS002 (liveness identical to
// readiness).
func checkProbes(w *workload) []Finding {
	var fs []Finding
	for _, c := range w.servingContainers() {
		if c.ReadinessProbe == nil {
			why := "it declares ports"
			if w.behindService {
				why = "a Service sends it traffic"
			}
			fs = append(fs, w.finding(ruleNoReadiness, c.Name,
				fmt.Sprintf("container %q has no readinessProbe although %s: its pods count as ready, and receive requests, as soon as the process starts", c.Name, why),
				"add a readinessProbe on an endpoint that answers only when the app can serve, e.g. readinessProbe: {httpGet: {path: /readyz, port: 8080}, periodSeconds: 2}"))
		}
	}
	for _, c := range w.template.Spec.Containers {
		if c.ReadinessProbe != nil && c.LivenessProbe != nil &&
			equality.Semantic.DeepEqual(c.ReadinessProbe.ProbeHandler, c.LivenessProbe.ProbeHandler) {
			fs = append(fs, w.finding(ruleSameProbes, c.Name,
				fmt.Sprintf("container %q uses the same check for liveness and readiness: when a dependency is slow the pod is not only taken out of the Service but restarted, on every replica at once", c.Name),
				"point the livenessProbe at an endpoint that only checks the process itself (e.g. /livez, always 200 unless wedged) and keep dependency checks in the readinessProbe"))
		}
	}
	return fs
}
