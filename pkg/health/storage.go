package health

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// pvc is Ready when Bound, Failed when Lost (its volume is gone), Progressing while
// Pending. A claim of a WaitForFirstConsumer storage class stays Pending until a pod uses
// it, so a deploy should also carry that pod.
func pvc(obj *unstructured.Unstructured) Status {
	var c corev1.PersistentVolumeClaim
	if s, ok := decode(obj, &c); !ok {
		return s
	}
	switch c.Status.Phase {
	case corev1.ClaimBound:
		return ready("bound to volume %s", c.Spec.VolumeName)
	case corev1.ClaimLost:
		return failed("ClaimLost", "the bound volume %s no longer exists", c.Spec.VolumeName)
	default:
		return progressing("Pending", "waiting for the claim to be bound")
	}
}
