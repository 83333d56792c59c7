package health

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Container waiting and termination reasons the kubelet reports.
const (
	reasonCrashLoopBackOff           = "CrashLoopBackOff"
	reasonImagePullBackOff           = "ImagePullBackOff"
	reasonErrImagePull               = "ErrImagePull"
	reasonErrImageNeverPull          = "ErrImageNeverPull"
	reasonInvalidImageName           = "InvalidImageName"
	reasonCreateContainerConfigError = "CreateContainerConfigError"
	reasonOOMKilled                  = "OOMKilled"
	reasonReadinessProbeFailing      = "ReadinessProbeFailing"
	reasonUnschedulable              = corev1.PodReasonUnschedulable
	reasonWaitingForNode             = "WaitingForNode"
	reasonSettling                   = "Settling"
)

// fatalWaitingReason reports waiting reasons that no amount of waiting fixes: the pod
// spec or the cluster's configuration must change.
func fatalWaitingReason(reason string) bool {
	switch reason {
	case reasonImagePullBackOff, reasonErrImagePull, reasonErrImageNeverPull,
		reasonInvalidImageName, reasonCreateContainerConfigError:
		return true
	}
	return false
}

// Pod judges one pod. It is meant for the pods of an object's new revision: a workload's
// old pods that are being replaced must not be passed here.
//
// A pod is Failed, fast, when a container cannot be pulled or configured
// (ImagePullBackOff, ErrImagePull, ErrImageNeverPull, InvalidImageName,
// CreateContainerConfigError), when a container that is not ready was OOMKilled or has
// crashed opts.CrashLoopRestarts times (CrashLoopBackOff), when a running container's
// readiness probe still fails after initialDelaySeconds + periodSeconds*failureThreshold
// (plus a startup probe's budget) + opts.ReadyGrace from the container's start
// (ReadinessProbeFailing), when it has been unschedulable for opts.UnschedulableGrace
// (Unschedulable) and no node autoscaler is adding a node for it (rel.NodeScaleUps), or
// when its phase is Failed. A pod is Ready when its Ready condition is
// True, or when it Succeeded. Everything else is Progressing.
func Pod(pod *corev1.Pod, rel Related, opts Options, now time.Time) Status {
	opts = opts.WithDefaults()
	st := podStatus(pod, rel, opts, now)
	st.Ready, st.Desired = readyContainers(pod)
	return st
}

func podStatus(pod *corev1.Pod, rel Related, opts Options, now time.Time) Status {
	if pod.DeletionTimestamp != nil {
		return progressing("Terminating", "pod is terminating")
	}
	switch pod.Status.Phase {
	case corev1.PodSucceeded:
		s := ready("pod completed")
		s.Reason = "Completed"
		return s
	case corev1.PodFailed:
		return podFailed(pod)
	}
	for _, cs := range allContainerStatuses(pod) {
		if s, bad := containerFailure(pod, cs, opts); bad {
			return s
		}
	}
	if s, waiting := unschedulable(pod, rel.NodeScaleUps[pod.UID], opts, now); waiting {
		return s
	}
	readiness := readinessDeadlines(pod, opts, now)
	if readiness.Phase == Failed {
		return readiness
	}
	if podConditionTrue(pod, corev1.PodReady) {
		if s, settling := unsettled(pod, opts, now); settling {
			return s
		}
		r, d := readyContainers(pod)
		return ready("%d/%d containers ready", r, d)
	}
	s := progressing("NotReady", "%s", notReadyMessage(pod))
	if reason := firstContainerReason(pod); reason != "" {
		s.Reason = reason
	}
	s.RecheckAt = readiness.RecheckAt
	return s
}

// containerFailure reports a container state that fails the pod.
func containerFailure(pod *corev1.Pod, cs corev1.ContainerStatus, opts Options) (Status, bool) {
	culprit := &ContainerRef{Namespace: pod.Namespace, Pod: pod.Name, Container: cs.Name}
	if w := cs.State.Waiting; w != nil && fatalWaitingReason(w.Reason) {
		s := failed(w.Reason, "container %s: %s", cs.Name, orText(w.Message, w.Reason))
		s.Culprit = culprit
		return s, true
	}
	if cs.Ready {
		return Status{}, false
	}
	last := cs.State.Terminated
	if last == nil {
		last = cs.LastTerminationState.Terminated
	}
	if last != nil && last.Reason == reasonOOMKilled {
		s := failed(reasonOOMKilled, "container %s was killed for using more memory than its limit%s", cs.Name, limitText(pod, cs.Name))
		s.Culprit = culprit
		return s, true
	}
	crashedNow := (cs.State.Waiting != nil && cs.State.Waiting.Reason == reasonCrashLoopBackOff) ||
		(cs.State.Terminated != nil && cs.State.Terminated.ExitCode != 0)
	crashes := cs.RestartCount
	if crashedNow {
		crashes++
	}
	lastErrored := last != nil && last.ExitCode != 0
	if crashes >= opts.CrashLoopRestarts && (crashedNow || lastErrored) {
		s := failed(reasonCrashLoopBackOff, "container %s crashed %d times%s", cs.Name, crashes, exitText(last))
		s.Culprit = culprit
		return s, true
	}
	return Status{}, false
}

// unschedulable reports a pod the scheduler cannot place, Failed once the grace is over
// unless scaleUp says a node autoscaler is adding a node for it: then it waits, bounded
// only by the deploy's timeout.
func unschedulable(pod *corev1.Pod, scaleUp string, opts Options, now time.Time) (Status, bool) {
	c := podCondition(pod, corev1.PodScheduled)
	if c == nil || c.Status != corev1.ConditionFalse || c.Reason != reasonUnschedulable {
		return Status{}, false
	}
	if scaleUp != "" {
		return progressing(reasonWaitingForNode, "waiting for a new node: %s", scaleUp), true
	}
	since := c.LastTransitionTime.Time
	if since.IsZero() {
		since = pod.CreationTimestamp.Time
	}
	deadline := since.Add(opts.unschedulableGrace())
	if !now.Before(deadline) {
		return failed(reasonUnschedulable, "unschedulable for %s: %s", now.Sub(since).Round(time.Second), c.Message), true
	}
	s := progressing(reasonUnschedulable, "waiting to be scheduled: %s", c.Message)
	s.RecheckAt = deadline
	return s, true
}

// readinessDeadlines fails the pod when a running container's readiness probe has had
// its whole budget plus the grace and the container is still not ready; otherwise it
// returns the earliest such deadline still ahead as RecheckAt.
func readinessDeadlines(pod *corev1.Pod, opts Options, now time.Time) Status {
	var next time.Time
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.Ready || cs.State.Running == nil {
			continue
		}
		c := specContainer(pod, cs.Name)
		if c == nil || c.ReadinessProbe == nil {
			continue
		}
		started := cs.State.Running.StartedAt.Time
		grace := opts.readyGrace()
		budget := probeBudget(c.ReadinessProbe) + probeBudget(c.StartupProbe)
		deadline := started.Add(budget + grace)
		if !now.Before(deadline) {
			s := failed(reasonReadinessProbeFailing, "container %s not ready %s after start (readiness probe budget %s plus grace %s)",
				cs.Name, now.Sub(started).Round(time.Second), budget, grace)
			s.Culprit = &ContainerRef{Namespace: pod.Namespace, Pod: pod.Name, Container: cs.Name}
			return s
		}
		next = Earliest(next, deadline)
	}
	return Status{Phase: Progressing, RecheckAt: next}
}

// unsettled reports a ready pod with a container that has no readiness probe and has run
// for less than opts.Settle: Progressing (reasonSettling) until it has.
func unsettled(pod *corev1.Pod, opts Options, now time.Time) (Status, bool) {
	var until time.Time
	name := ""
	for _, cs := range pod.Status.ContainerStatuses {
		c := specContainer(pod, cs.Name)
		if c == nil || c.ReadinessProbe != nil || cs.State.Running == nil {
			continue
		}
		if t := cs.State.Running.StartedAt.Add(opts.settle()); now.Before(t) && (until.IsZero() || t.After(until)) {
			until, name = t, cs.Name
		}
	}
	if until.IsZero() {
		return Status{}, false
	}
	s := progressing(reasonSettling, "container %s has no readiness probe: ready once it has run for %s", name, opts.settle())
	s.RecheckAt = until
	return s, true
}

// probeBudget is initialDelaySeconds + periodSeconds*failureThreshold, with the API
// defaults for unset fields; zero for no probe.
func probeBudget(p *corev1.Probe) time.Duration {
	if p == nil {
		return 0
	}
	period, threshold := p.PeriodSeconds, p.FailureThreshold
	if period <= 0 {
		period = 10
	}
	if threshold <= 0 {
		threshold = 3
	}
	return time.Duration(p.InitialDelaySeconds+period*threshold) * time.Second
}

func podFailed(pod *corev1.Pod) Status {
	for _, cs := range allContainerStatuses(pod) {
		t := cs.State.Terminated
		if t == nil || t.ExitCode == 0 {
			continue
		}
		reason := "ContainerFailed"
		if t.Reason == reasonOOMKilled {
			reason = reasonOOMKilled
		}
		if pod.Status.Reason != "" {
			reason = pod.Status.Reason
		}
		s := failed(reason, "container %s exited with code %d%s", cs.Name, t.ExitCode, parenthesized(t.Reason))
		s.Culprit = &ContainerRef{Namespace: pod.Namespace, Pod: pod.Name, Container: cs.Name}
		return s
	}
	return failed(orText(pod.Status.Reason, "PodFailed"), "pod failed: %s", orText(pod.Status.Message, "no reason given"))
}

func allContainerStatuses(pod *corev1.Pod) []corev1.ContainerStatus {
	out := make([]corev1.ContainerStatus, 0, len(pod.Status.InitContainerStatuses)+len(pod.Status.ContainerStatuses))
	out = append(out, pod.Status.InitContainerStatuses...)
	return append(out, pod.Status.ContainerStatuses...)
}

func specContainer(pod *corev1.Pod, name string) *corev1.Container {
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == name {
			return &pod.Spec.Containers[i]
		}
	}
	return nil
}

func podCondition(pod *corev1.Pod, t corev1.PodConditionType) *corev1.PodCondition {
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == t {
			return &pod.Status.Conditions[i]
		}
	}
	return nil
}

func podConditionTrue(pod *corev1.Pod, t corev1.PodConditionType) bool {
	c := podCondition(pod, t)
	return c != nil && c.Status == corev1.ConditionTrue
}

// podReady reports whether a pod counts as ready: its Ready condition is True.
func podReady(pod *corev1.Pod) bool {
	return pod.DeletionTimestamp == nil && podConditionTrue(pod, corev1.PodReady)
}

func readyContainers(pod *corev1.Pod) (ready, total int32) {
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.Ready {
			ready++
		}
	}
	return ready, int32(len(pod.Spec.Containers))
}

// firstContainerReason is the reason of the first container waiting (ContainerCreating,
// CrashLoopBackOff...) or terminated (Error...), to say what a pod is stuck on.
func firstContainerReason(pod *corev1.Pod) string {
	for _, cs := range allContainerStatuses(pod) {
		if w := cs.State.Waiting; w != nil && w.Reason != "" {
			return w.Reason
		}
		if t := cs.State.Terminated; t != nil && t.Reason != "" {
			return t.Reason
		}
	}
	return ""
}

func notReadyMessage(pod *corev1.Pod) string {
	r, d := readyContainers(pod)
	parts := []string{fmt.Sprintf("%d/%d containers ready", r, d)}
	for _, cs := range allContainerStatuses(pod) {
		switch {
		case cs.State.Waiting != nil:
			parts = append(parts, fmt.Sprintf("container %s waiting: %s", cs.Name, orText(cs.State.Waiting.Reason, "unknown reason")))
		case cs.State.Terminated != nil:
			parts = append(parts, fmt.Sprintf("container %s exited with code %d", cs.Name, cs.State.Terminated.ExitCode))
		case cs.State.Running != nil && !cs.Ready && cs.RestartCount > 0:
			parts = append(parts, fmt.Sprintf("container %s restarted %d times", cs.Name, cs.RestartCount))
		}
	}
	if len(parts) == 1 && pod.Status.Phase == corev1.PodPending && len(pod.Status.ContainerStatuses) == 0 {
		parts = append(parts, "pod pending")
	}
	return strings.Join(parts, "; ")
}

func exitText(t *corev1.ContainerStateTerminated) string {
	if t == nil {
		return ""
	}
	return fmt.Sprintf("; last exit code %d%s", t.ExitCode, parenthesized(t.Reason))
}

func limitText(pod *corev1.Pod, container string) string {
	c := specContainer(pod, container)
	if c == nil {
		return ""
	}
	if q, ok := c.Resources.Limits[corev1.ResourceMemory]; ok {
		return " (" + q.String() + ")"
	}
	return ""
}

func parenthesized(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

func orText(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}
