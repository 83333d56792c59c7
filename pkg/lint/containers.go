package lint

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// checkContainers applies SS007 (Always + :latest) and SS008 (no requests) to every
// container of the pod template.
func checkContainers(w *workload) []Finding {
	var fs []Finding
	for _, c := range w.template.Spec.Containers {
		if tag, mutable := mutableTag(c.Image); mutable && pullsAlways(c) {
			fs = append(fs, w.finding(ruleLatestAlways, c.Name,
				fmt.Sprintf("container %q runs image %q (tag %s) with imagePullPolicy Always: pods started at different times may run different code, and a rollback pulls the new image again", c.Name, c.Image, tag),
				"deploy an immutable tag or digest per release (e.g. web:v1.4.2 or web@sha256:...) and let imagePullPolicy default to IfNotPresent"))
		}
		if missing := missingRequests(c); len(missing) > 0 {
			fs = append(fs, w.finding(ruleNoRequests, c.Name,
				fmt.Sprintf("container %q has no %s request: the scheduler cannot reserve room for it, so rollout surge pods may land on full nodes and be throttled or evicted", c.Name, strings.Join(missing, " or ")),
				"set resources.requests.cpu and resources.requests.memory to what the container uses at steady load, e.g. {cpu: 100m, memory: 128Mi}"))
		}
	}
	return fs
}

// mutableTag returns how image refers to its version and whether that is the mutable
// "latest" (written or implied). An image pinned by digest is never mutable.
func mutableTag(image string) (string, bool) {
	if strings.Contains(image, "@") {
		return "digest", false
	}
	name := image[strings.LastIndex(image, "/")+1:] // a registry port is before the last "/"
	i := strings.LastIndex(name, ":")
	if i < 0 {
		return "none, so :latest", true
	}
	tag := name[i+1:]
	return ":" + tag, tag == "latest"
}

// pullsAlways reports whether c's effective pull policy is Always for a mutable image:
// written, or left empty, which the API server defaults to Always for :latest.
func pullsAlways(c corev1.Container) bool {
	return c.ImagePullPolicy == corev1.PullAlways || c.ImagePullPolicy == ""
}

// missingRequests lists the resources among cpu and memory that c neither requests nor
// limits (a limit alone defaults the request to the same value).
func missingRequests(c corev1.Container) []string {
	var missing []string
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		_, req := c.Resources.Requests[r]
		_, lim := c.Resources.Limits[r]
		if !req && !lim {
			missing = append(missing, string(r))
		}
	}
	return missing
}
