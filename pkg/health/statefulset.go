package health

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// statefulSet is Ready, with the OnDelete strategy, once the controller observed the
// latest generation (pods change only when someone deletes them). With RollingUpdate it is
// Ready when every replica is ready and available and every pod at or above the partition
// ordinal runs the update revision (with no partition: all of them, and the current
// revision caught up). It is Failed as soon as a pod of the update revision is Failed.
func statefulSet(obj *unstructured.Unstructured, rel Related, opts Options, now time.Time) Status {
	var sts appsv1.StatefulSet
	if s, ok := decode(obj, &sts); !ok {
		return s
	}
	desired := replicasOrOne(sts.Spec.Replicas)
	s := statefulSetStatus(&sts, desired, rel, opts, now)
	s.Ready, s.Desired = sts.Status.ReadyReplicas, desired
	return s
}

func statefulSetStatus(sts *appsv1.StatefulSet, desired int32, rel Related, opts Options, now time.Time) Status {
	if s, waiting := notObserved(sts.Generation, sts.Status.ObservedGeneration); waiting {
		return s
	}
	if sts.Spec.UpdateStrategy.Type == appsv1.OnDeleteStatefulSetStrategyType {
		s := ready("OnDelete update strategy: pods are replaced only when deleted; %d/%d replicas ready", sts.Status.ReadyReplicas, desired)
		s.Reason = "OnDelete"
		return s
	}
	st := sts.Status
	var pods podVerdict
	if rev := st.UpdateRevision; rev != "" {
		pods = judgePods(rel, sts.UID, func(p *corev1.Pod) bool {
			return p.Labels[appsv1.ControllerRevisionHashLabelKey] == rev
		}, opts, now)
		if pods.failed != nil {
			return *pods.failed
		}
	}
	var partition int32
	if ru := sts.Spec.UpdateStrategy.RollingUpdate; ru != nil && ru.Partition != nil {
		partition = *ru.Partition
	}
	wantUpdated := desired - partition
	if wantUpdated < 0 {
		wantUpdated = 0
	}
	done := st.ReadyReplicas >= desired && st.AvailableReplicas >= desired && st.UpdatedReplicas >= wantUpdated &&
		st.Replicas == desired && pods.settling == 0
	if partition == 0 {
		done = done && st.CurrentRevision == st.UpdateRevision
	}
	if done {
		if partition > 0 {
			return ready("%d/%d replicas ready; partitioned rollout: %d updated, ordinals below %d keep the old revision",
				st.ReadyReplicas, desired, st.UpdatedReplicas, partition)
		}
		return ready("%d/%d replicas ready, %d updated", st.ReadyReplicas, desired, st.UpdatedReplicas)
	}
	return pods.progressing("%d/%d replicas ready, %d/%d updated", st.ReadyReplicas, desired, st.UpdatedReplicas, wantUpdated)
}
