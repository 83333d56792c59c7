package health

import (
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

const revisionAnnotation = "deployment.kubernetes.io/revision"

// deployment is Ready when the controller observed the latest generation and every
// replica is updated, available and ready with no old replica left; Failed on
// ProgressDeadlineExceeded or as soon as a pod of the new ReplicaSet is Failed per Pod.
// Pods of older ReplicaSets (being replaced or terminating) never fail it.
func deployment(obj *unstructured.Unstructured, rel Related, opts Options, now time.Time) Status {
	var d appsv1.Deployment
	if s, ok := decode(obj, &d); !ok {
		return s
	}
	desired := replicasOrOne(d.Spec.Replicas)
	s := deploymentStatus(&d, desired, rel, opts, now)
	s.Ready, s.Desired = d.Status.ReadyReplicas, desired
	return s
}

func deploymentStatus(d *appsv1.Deployment, desired int32, rel Related, opts Options, now time.Time) Status {
	if s, waiting := notObserved(d.Generation, d.Status.ObservedGeneration); waiting {
		return s
	}
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentProgressing && c.Status == corev1.ConditionFalse && c.Reason == "ProgressDeadlineExceeded" {
			return failed("ProgressDeadlineExceeded", "%s", orText(c.Message, "progress deadline exceeded"))
		}
	}
	var pods podVerdict
	if rs := newReplicaSet(d, rel.ReplicaSets); rs != nil {
		pods = judgePods(rel, rs.UID, nil, opts, now)
		if pods.failed != nil {
			return *pods.failed
		}
	}
	st := d.Status
	counts := fmt.Sprintf("%d/%d replicas ready, %d updated", st.ReadyReplicas, desired, st.UpdatedReplicas)
	if d.Spec.Paused {
		s := ready("rollout paused; %s", counts)
		s.Reason = "Paused"
		return s
	}
	old := st.Replicas - st.UpdatedReplicas
	switch {
	case st.UpdatedReplicas < desired:
	case old > 0:
		counts += fmt.Sprintf(", %d old pending termination", old)
	case st.AvailableReplicas < st.UpdatedReplicas || st.ReadyReplicas < desired:
		counts += fmt.Sprintf(", %d available", st.AvailableReplicas)
	case pods.settling > 0:
		counts += fmt.Sprintf(", %d settling", pods.settling)
	default:
		return ready("%s", counts)
	}
	s := pods.progressing("%s", counts)
	for _, c := range st.Conditions {
		if c.Type == appsv1.DeploymentReplicaFailure && c.Status == corev1.ConditionTrue {
			s.Reason, s.Message = orText(c.Reason, "ReplicaFailure"), s.Message+"; "+c.Message
		}
	}
	return s
}

// newReplicaSet finds the deployment's ReplicaSet for its current pod template, as the
// deployment controller does: the owned ReplicaSet whose template equals the
// deployment's, ignoring the pod-template-hash label; failing that, the one whose
// revision annotation matches the deployment's.
func newReplicaSet(d *appsv1.Deployment, all []*appsv1.ReplicaSet) *appsv1.ReplicaSet {
	var byRevision *appsv1.ReplicaSet
	for _, rs := range all {
		if !controlledBy(rs, d.UID) {
			continue
		}
		if templatesEqualIgnoringHash(&rs.Spec.Template, &d.Spec.Template) {
			return rs
		}
		if rev := d.Annotations[revisionAnnotation]; rev != "" && rs.Annotations[revisionAnnotation] == rev {
			byRevision = rs
		}
	}
	return byRevision
}

func templatesEqualIgnoringHash(a, b *corev1.PodTemplateSpec) bool {
	a, b = a.DeepCopy(), b.DeepCopy()
	delete(a.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	delete(b.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	return apiequality.Semantic.DeepEqual(a, b)
}

// podVerdict sums up the pods of one revision of a workload.
type podVerdict struct {
	failed    *Status   // the first pod that failed, if any
	reason    string    // the first not-ready pod's Progressing reason, for display
	note      string    // what a pod waits for that the workload's counts do not say
	settling  int       // ready pods with a probe-less container that has not run for Settle yet
	recheckAt time.Time // the earliest RecheckAt among the pods
}

// progressing returns the workload's Progressing status: the pods' reason, the message
// with the pods' note, and their RecheckAt.
func (v podVerdict) progressing(format string, args ...any) Status {
	s := progressing(v.reason, format, args...)
	if v.note != "" {
		s.Message += "; " + v.note
	}
	s.RecheckAt = v.recheckAt
	return s
}

// judgePods runs Pod on the live pods in rel controlled by owner for which keep (when not
// nil) says true.
func judgePods(rel Related, owner types.UID, keep func(*corev1.Pod) bool, opts Options, now time.Time) podVerdict {
	var v podVerdict
	for _, p := range rel.Pods {
		if p.DeletionTimestamp != nil || !controlledBy(p, owner) || (keep != nil && !keep(p)) {
			continue
		}
		s := Pod(p, rel, opts, now)
		switch s.Phase {
		case Failed:
			f := inPod(p.Name, s)
			v.failed = &f
			return v
		case Progressing:
			if v.reason == "" && s.Reason != "NotReady" && s.Reason != reasonSettling {
				v.reason = s.Reason
			}
			if v.note == "" && s.Reason == reasonWaitingForNode {
				v.note = fmt.Sprintf("pod %s is %s", p.Name, s.Message)
			}
			if s.Reason == reasonSettling {
				v.settling++
			}
		}
		v.recheckAt = Earliest(v.recheckAt, s.RecheckAt)
	}
	return v
}
