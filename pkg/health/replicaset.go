package health

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// replicaSet is Ready when the controller observed the latest generation and exactly the
// desired number of replicas exist, all ready and available; Failed as soon as one of its
// pods is Failed.
func replicaSet(obj *unstructured.Unstructured, rel Related, opts Options, now time.Time) Status {
	var rs appsv1.ReplicaSet
	if s, ok := decode(obj, &rs); !ok {
		return s
	}
	desired := replicasOrOne(rs.Spec.Replicas)
	s := replicaSetStatus(&rs, desired, rel, opts, now)
	s.Ready, s.Desired = rs.Status.ReadyReplicas, desired
	return s
}

func replicaSetStatus(rs *appsv1.ReplicaSet, desired int32, rel Related, opts Options, now time.Time) Status {
	if s, waiting := notObserved(rs.Generation, rs.Status.ObservedGeneration); waiting {
		return s
	}
	pods := judgePods(rel, rs.UID, nil, opts, now)
	if pods.failed != nil {
		return *pods.failed
	}
	st := rs.Status
	if st.Replicas == desired && st.ReadyReplicas >= desired && st.AvailableReplicas >= desired && pods.settling == 0 {
		return ready("%d/%d replicas ready", st.ReadyReplicas, desired)
	}
	s := pods.progressing("%d/%d replicas ready, %d available", st.ReadyReplicas, desired, st.AvailableReplicas)
	for _, c := range st.Conditions {
		if c.Type == appsv1.ReplicaSetReplicaFailure && c.Status == "True" {
			s.Reason, s.Message = orText(c.Reason, "ReplicaFailure"), s.Message+"; "+c.Message
		}
	}
	return s
}
