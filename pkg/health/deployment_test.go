package health

import (
	"testing"
	"time"
)

func TestDeployment(t *testing.T) {
	t.Parallel()
	runRows(t, []row{
		{name: "ready replicas without a readiness probe wait to settle", fixture: "deployment/ready.yaml", at: time.Second,
			want: want{phase: Progressing, message: "3 settling", recheck: 2 * time.Second}},
		{name: "all replicas updated and ready", fixture: "deployment/ready.yaml", at: time.Minute,
			want: want{phase: Ready, message: "3/3 replicas ready, 3 updated", counts: counts(3, 3)}},
		{name: "generation not observed yet", fixture: "deployment/not-observed.yaml",
			want: want{phase: Progressing, reason: "NotObserved", message: "generation 3 (observed 2)"}},
		{name: "rolling update in progress shows the new pod's reason", fixture: "deployment/rolling.yaml", at: time.Second,
			want: want{phase: Progressing, reason: "ContainerCreating", message: "2/3 replicas ready, 1 updated", counts: counts(2, 3)}},
		{name: "old replicas still there", fixture: "deployment/old-pending.yaml",
			want: want{phase: Progressing, message: "1 old pending termination"}},
		{name: "updated but not yet available", fixture: "deployment/not-available.yaml",
			want: want{phase: Progressing, message: "2 available"}},
		{name: "progress deadline exceeded", fixture: "deployment/progress-deadline.yaml",
			want: want{phase: Failed, reason: "ProgressDeadlineExceeded", message: "has timed out progressing"}},
		{name: "a new pod crash-looping fails fast", fixture: "deployment/new-pod-crash.yaml", at: time.Minute,
			want: want{phase: Failed, reason: "CrashLoopBackOff", culprit: "web-new-a/app", message: "pod web-new-a: container app crashed 4 times"}},
		{name: "old pods crash-looping or terminating never fail it", fixture: "deployment/old-pod-crash.yaml", at: time.Minute,
			want: want{phase: Progressing, message: "2/3 replicas ready, 2 updated"}},
		{name: "new ReplicaSet found by its revision annotation", fixture: "deployment/new-rs-by-revision.yaml", at: time.Minute,
			want: want{phase: Failed, reason: "CrashLoopBackOff", culprit: "web-new-a/app"}},
		{name: "paused rollout has nothing to wait for", fixture: "deployment/paused.yaml",
			want: want{phase: Ready, reason: "Paused", message: "rollout paused"}},
		{name: "a new pod's readiness budget asks for a recheck", fixture: "deployment/new-pod-not-ready.yaml", at: 5 * time.Second,
			want: want{phase: Progressing, message: "2/3 replicas ready, 1 updated", recheck: 21 * time.Second}},
		{name: "a new pod's readiness budget spent", fixture: "deployment/new-pod-not-ready.yaml", at: 21 * time.Second,
			want: want{phase: Failed, reason: "ReadinessProbeFailing", culprit: "web-new-a/app"}},
		{name: "replica failure is shown while progressing", fixture: "deployment/replica-failure.yaml",
			want: want{phase: Progressing, reason: "FailedCreate", message: "exceeded quota"}},
	})
}
