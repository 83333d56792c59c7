package health

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// Kinds with rules of their own, as "group/Kind" (see kindKey).
const (
	kindDeployment  = "apps/Deployment"
	kindStatefulSet = "apps/StatefulSet"
	kindDaemonSet   = "apps/DaemonSet"
	kindReplicaSet  = "apps/ReplicaSet"
	kindPod         = "/Pod"
	kindJob         = "batch/Job"
	kindService     = "/Service"
	kindPVC         = "/PersistentVolumeClaim"
	kindCRD         = "apiextensions.k8s.io/CustomResourceDefinition"
)

func kindKey(gk schema.GroupKind) string { return gk.Group + "/" + gk.Kind }

// Check judges obj, as last read from the cluster, with the objects around it, at now.
// It never blocks and never fails: an object it cannot read is Progressing with a reason
// saying so. See the package documentation for the rules of each kind.
func Check(obj *unstructured.Unstructured, rel Related, opts Options, now time.Time) Status {
	opts = opts.WithDefaults()
	switch kindKey(obj.GroupVersionKind().GroupKind()) {
	case kindDeployment:
		return deployment(obj, rel, opts, now)
	case kindStatefulSet:
		return statefulSet(obj, rel, opts, now)
	case kindDaemonSet:
		return daemonSet(obj, rel, opts, now)
	case kindReplicaSet:
		return replicaSet(obj, rel, opts, now)
	case kindPod:
		return podObject(obj, rel, opts, now)
	case kindJob:
		return job(obj, rel, opts, now)
	case kindService:
		return service(obj, rel)
	case kindPVC:
		return pvc(obj)
	case kindCRD:
		return crd(obj)
	default:
		return Generic(obj)
	}
}

// decode converts obj into a typed object, or returns the Status that says it could not.
func decode(obj *unstructured.Unstructured, into any) (Status, bool) {
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, into); err != nil {
		return progressing("Unreadable", "cannot read %s %s: %v", obj.GetKind(), obj.GetName(), err), false
	}
	return Status{}, true
}

func podObject(obj *unstructured.Unstructured, rel Related, opts Options, now time.Time) Status {
	var pod corev1.Pod
	if s, ok := decode(obj, &pod); !ok {
		return s
	}
	return Pod(&pod, rel, opts, now)
}

// notObserved returns the Status for an object whose controller has not yet seen its
// latest spec.
func notObserved(generation, observed int64) (Status, bool) {
	if observed >= generation {
		return Status{}, false
	}
	return progressing("NotObserved", "waiting for the controller to observe generation %d (observed %d)", generation, observed), true
}

// controlledBy reports whether uid is the controller owner of obj.
func controlledBy(obj metav1.Object, uid types.UID) bool {
	if uid == "" {
		return false
	}
	ref := metav1.GetControllerOfNoCopy(obj)
	return ref != nil && ref.UID == uid
}

// inPod prefixes a pod's failure so a workload's message names the pod.
func inPod(podName string, s Status) Status {
	s.Message = fmt.Sprintf("pod %s: %s", podName, s.Message)
	return s
}

func replicasOrOne(p *int32) int32 {
	if p == nil {
		return 1
	}
	return *p
}
