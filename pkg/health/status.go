package health

import (
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Phase is the coarse verdict on an object.
type Phase string

const (
	// Progressing means the object is not ready yet but nothing shows it will not become so.
	Progressing Phase = "Progressing"
	// Ready means the object reached its desired state.
	Ready Phase = "Ready"
	// Failed means the object will not become ready without a change by a person.
	Failed Phase = "Failed"
)

// ContainerRef names the container whose logs explain a failure.
type ContainerRef struct {
	Namespace string `json:"namespace"`
	Pod       string `json:"pod"`
	Container string `json:"container"`
}

// String returns "pod/<pod> container <container>".
func (c ContainerRef) String() string {
	return fmt.Sprintf("pod/%s container %s", c.Pod, c.Container)
}

// Status is the health of one object at one moment.
type Status struct {
	// Phase is the verdict.
	Phase Phase `json:"phase"`
	// Reason is a short CamelCase cause, e.g. CrashLoopBackOff, ImagePullBackOff,
	// ReadinessProbeFailing, Unschedulable, ProgressDeadlineExceeded, BackoffLimitExceeded.
	// It may be set while Progressing, to say what is being waited for.
	Reason string `json:"reason,omitempty"`
	// Message is a human sentence with counts, e.g. "2/3 replicas ready, 1 updated".
	Message string `json:"message,omitempty"`
	// Culprit names the container that explains a Failed status, when one does.
	Culprit *ContainerRef `json:"culprit,omitempty"`
	// Ready and Desired are replica-like counts when they mean something for the kind
	// (replicas, scheduled daemon pods, completions, ready containers); both zero otherwise.
	Ready   int32 `json:"ready"`
	Desired int32 `json:"desired"`
	// RecheckAt, when not zero, is the moment the verdict may change with no change to any
	// object (a grace or probe budget running out); callers evaluate again then.
	RecheckAt time.Time `json:"recheckAt,omitzero"`
}

// Equal reports whether two statuses say the same thing (RecheckAt aside), so callers can
// report only changes.
func (s Status) Equal(o Status) bool {
	if s.Phase != o.Phase || s.Reason != o.Reason || s.Message != o.Message ||
		s.Ready != o.Ready || s.Desired != o.Desired {
		return false
	}
	if (s.Culprit == nil) != (o.Culprit == nil) {
		return false
	}
	return s.Culprit == nil || *s.Culprit == *o.Culprit
}

// Options tunes how quickly pods are judged Failed. A zero field takes its default; a
// negative duration means no grace at all.
type Options struct {
	// CrashLoopRestarts is how many crashes a container may have before its pod is Failed
	// (default 2). Crashes are the container's restartCount, plus one while it sits crashed
	// (in CrashLoopBackOff, or terminated with an error). The count only grows, so a
	// container that flaps between running and back-off never resets it.
	CrashLoopRestarts int32
	// ReadyGrace is added to a readiness probe's own budget (initialDelaySeconds +
	// periodSeconds*failureThreshold, from container start) before a container that is
	// running but not ready is Failed (default 10s).
	ReadyGrace time.Duration
	// UnschedulableGrace is how long a pod may stay unschedulable before it is Failed
	// (default 15s).
	UnschedulableGrace time.Duration
	// Settle is how long a container without a readiness probe must have run before its
	// pod counts as ready (default 2s). The kubelet calls such a container ready as soon
	// as it starts, so an app that exits at once would otherwise pass for a moment.
	Settle time.Duration
}

// Defaults of Options.
const (
	DefaultCrashLoopRestarts  int32 = 2
	DefaultReadyGrace               = 10 * time.Second
	DefaultUnschedulableGrace       = 15 * time.Second
	DefaultSettle                   = 2 * time.Second
)

// WithDefaults returns o with zero fields set to their defaults. Negative durations are
// kept (they mean no grace), so applying it twice changes nothing.
func (o Options) WithDefaults() Options {
	if o.CrashLoopRestarts <= 0 {
		o.CrashLoopRestarts = DefaultCrashLoopRestarts
	}
	if o.ReadyGrace == 0 {
		o.ReadyGrace = DefaultReadyGrace
	}
	if o.UnschedulableGrace == 0 {
		o.UnschedulableGrace = DefaultUnschedulableGrace
	}
	if o.Settle == 0 {
		o.Settle = DefaultSettle
	}
	return o
}

// readyGrace and unschedulableGrace return the graces in force, negative meaning none.
func (o Options) readyGrace() time.Duration { return max(o.WithDefaults().ReadyGrace, 0) }
func (o Options) unschedulableGrace() time.Duration {
	return max(o.WithDefaults().UnschedulableGrace, 0)
}
func (o Options) settle() time.Duration { return max(o.WithDefaults().Settle, 0) }

// Related holds the objects around an object that decide its health, already fetched by
// the caller. Passing more than needed is fine (every rule filters by owner, label or
// selector); passing less only delays verdicts that depend on the missing objects.
type Related struct {
	// Pods in the object's namespace.
	Pods []*corev1.Pod
	// ReplicaSets in the object's namespace (Deployments need them to find the new revision).
	ReplicaSets []*appsv1.ReplicaSet
	// EndpointSlices in the object's namespace (Services need them).
	EndpointSlices []*discoveryv1.EndpointSlice
	// ControllerRevisions in the object's namespace (DaemonSets need them to find the
	// pods of the current revision).
	ControllerRevisions []*appsv1.ControllerRevision
	// NodeScaleUps maps the pods (by UID) that a node autoscaler is adding a node for to
	// what it said: cluster-autoscaler's TriggeredScaleUp event, Karpenter's Nominated.
	// Such a pod waits while unschedulable instead of failing after UnschedulableGrace.
	NodeScaleUps map[types.UID]string
}

func progressing(reason, format string, args ...any) Status {
	return Status{Phase: Progressing, Reason: reason, Message: fmt.Sprintf(format, args...)}
}

func ready(format string, args ...any) Status {
	return Status{Phase: Ready, Message: fmt.Sprintf(format, args...)}
}

func failed(reason, format string, args ...any) Status {
	return Status{Phase: Failed, Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// Earliest returns the earlier of two RecheckAt times, ignoring a zero one: the time a
// caller holding several statuses must look again.
func Earliest(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero():
		return a
	case b.Before(a):
		return b
	default:
		return a
	}
}
