package health

import (
	"sort"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// job is Ready when Complete (or SuccessCriteriaMet) or suspended; Failed when its Failed
// (or FailureTarget) condition is True, with that condition's reason, e.g.
// BackoffLimitExceeded or DeadlineExceeded, and the newest failed pod's container as the
// culprit. A pod that crashes is evidence, not a failure: the Job's backoffLimit decides.
// Only pod failures that retries cannot fix (an image that cannot be pulled, a container
// configuration error, unschedulable past the grace) fail a running Job early.
func job(obj *unstructured.Unstructured, rel Related, opts Options, now time.Time) Status {
	var j batchv1.Job
	if s, ok := decode(obj, &j); !ok {
		return s
	}
	desired := replicasOrOne(j.Spec.Completions)
	s := jobStatus(&j, rel, opts, now)
	s.Ready, s.Desired = succeeded(&j), desired
	return s
}

// succeeded counts the Job's succeeded pods, those the controller has seen succeed but
// not yet added to status.succeeded included: it sets SuccessCriteriaMet in the same
// update that lists the last pod as uncounted.
func succeeded(j *batchv1.Job) int32 {
	n := j.Status.Succeeded
	if u := j.Status.UncountedTerminatedPods; u != nil {
		n += int32(len(u.Succeeded))
	}
	return n
}

func jobStatus(j *batchv1.Job, rel Related, opts Options, now time.Time) Status {
	for _, c := range j.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Type {
		case batchv1.JobFailed, batchv1.JobFailureTarget:
			s := failed(orText(c.Reason, "JobFailed"), "job failed: %s (%d failed pods)", orText(c.Message, c.Reason), j.Status.Failed)
			s.Culprit = jobCulprit(j, rel.Pods)
			return s
		case batchv1.JobComplete, batchv1.JobSuccessCriteriaMet:
			return ready("completed: %d succeeded", succeeded(j))
		}
	}
	if j.Spec.Suspend != nil && *j.Spec.Suspend {
		s := ready("suspended: nothing to wait for")
		s.Reason = "Suspended"
		return s
	}
	var recheck time.Time
	reason := ""
	for _, p := range rel.Pods {
		if p.DeletionTimestamp != nil || !controlledBy(p, j.UID) {
			continue
		}
		s := Pod(p, rel, opts, now)
		if s.Phase == Failed && (fatalWaitingReason(s.Reason) || s.Reason == reasonUnschedulable) {
			return inPod(p.Name, s)
		}
		if s.Phase == Progressing && reason == "" && s.Reason != "NotReady" {
			reason = s.Reason
		}
		recheck = Earliest(recheck, s.RecheckAt)
	}
	s := progressing(reason, "%d active, %d succeeded, %d failed", j.Status.Active, succeeded(j), j.Status.Failed)
	s.RecheckAt = recheck
	return s
}

// jobCulprit picks the container whose logs best explain a failed Job: the newest pod
// of the Job with a container that ended (now or last time) with a non-zero exit code.
func jobCulprit(j *batchv1.Job, all []*corev1.Pod) *ContainerRef {
	var pods []*corev1.Pod
	for _, p := range all {
		if controlledBy(p, j.UID) {
			pods = append(pods, p)
		}
	}
	sort.Slice(pods, func(a, b int) bool {
		return pods[b].CreationTimestamp.Before(&pods[a].CreationTimestamp)
	})
	for _, p := range pods {
		for _, cs := range allContainerStatuses(p) {
			for _, t := range []*corev1.ContainerStateTerminated{cs.State.Terminated, cs.LastTerminationState.Terminated} {
				if t != nil && t.ExitCode != 0 {
					return &ContainerRef{Namespace: p.Namespace, Pod: p.Name, Container: cs.Name}
				}
			}
		}
	}
	return nil
}
