package health

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// daemonSet is Ready, with the OnDelete strategy, once the controller observed the latest
// generation; with RollingUpdate when every node that should run it runs an updated,
// available pod. It is Failed as soon as a pod of the current revision (found through the
// newest ControllerRevision the DaemonSet owns) is Failed.
func daemonSet(obj *unstructured.Unstructured, rel Related, opts Options, now time.Time) Status {
	var ds appsv1.DaemonSet
	if s, ok := decode(obj, &ds); !ok {
		return s
	}
	s := daemonSetStatus(&ds, rel, opts, now)
	s.Ready, s.Desired = ds.Status.NumberReady, ds.Status.DesiredNumberScheduled
	return s
}

func daemonSetStatus(ds *appsv1.DaemonSet, rel Related, opts Options, now time.Time) Status {
	if s, waiting := notObserved(ds.Generation, ds.Status.ObservedGeneration); waiting {
		return s
	}
	st := ds.Status
	if ds.Spec.UpdateStrategy.Type == appsv1.OnDeleteDaemonSetStrategyType {
		s := ready("OnDelete update strategy: pods are replaced only when deleted; %d/%d pods ready", st.NumberReady, st.DesiredNumberScheduled)
		s.Reason = "OnDelete"
		return s
	}
	var pods podVerdict
	if hash := currentRevisionHash(ds, rel.ControllerRevisions); hash != "" {
		pods = judgePods(rel, ds.UID, func(p *corev1.Pod) bool {
			return p.Labels[appsv1.ControllerRevisionHashLabelKey] == hash
		}, opts, now)
		if pods.failed != nil {
			return *pods.failed
		}
	}
	if st.UpdatedNumberScheduled >= st.DesiredNumberScheduled && st.NumberAvailable >= st.DesiredNumberScheduled && pods.settling == 0 {
		return ready("%d/%d pods ready, %d updated", st.NumberReady, st.DesiredNumberScheduled, st.UpdatedNumberScheduled)
	}
	return pods.progressing("%d/%d pods ready, %d updated, %d available",
		st.NumberReady, st.DesiredNumberScheduled, st.UpdatedNumberScheduled, st.NumberAvailable)
}

// currentRevisionHash returns the controller-revision-hash label of the newest
// ControllerRevision owned by ds: the value its current pods carry.
func currentRevisionHash(ds *appsv1.DaemonSet, revs []*appsv1.ControllerRevision) string {
	var newest *appsv1.ControllerRevision
	for _, r := range revs {
		if controlledBy(r, ds.UID) && (newest == nil || r.Revision > newest.Revision) {
			newest = r
		}
	}
	if newest == nil {
		return ""
	}
	return newest.Labels[appsv1.ControllerRevisionHashLabelKey]
}
