package health

import (
	"testing"
	"time"
)

func TestStatefulSet(t *testing.T) {
	t.Parallel()
	runRows(t, []row{
		{name: "all replicas on the update revision", fixture: "statefulset/ready.yaml",
			want: want{phase: Ready, counts: counts(3, 3)}},
		{name: "rolling update in progress", fixture: "statefulset/rolling.yaml",
			want: want{phase: Progressing, message: "2/3 replicas ready, 1/3 updated"}},
		{name: "a pod of the update revision crash-looping", fixture: "statefulset/update-pod-crash.yaml",
			want: want{phase: Failed, reason: "CrashLoopBackOff", culprit: "db-2/db"}},
		{name: "a pod of the old revision crash-looping never fails it", fixture: "statefulset/old-pod-crash.yaml",
			want: want{phase: Progressing}},
		{name: "partition: only ordinals at or above it must update", fixture: "statefulset/partition-done.yaml",
			want: want{phase: Ready, message: "ordinals below 2 keep the old revision"}},
		{name: "partition: waiting for the ordinals above it", fixture: "statefulset/partition-waiting.yaml",
			want: want{phase: Progressing, message: "0/1 updated"}},
		{name: "OnDelete: ready once observed", fixture: "statefulset/ondelete.yaml",
			want: want{phase: Ready, reason: "OnDelete"}},
		{name: "OnDelete: not observed yet", fixture: "statefulset/ondelete-not-observed.yaml",
			want: want{phase: Progressing, reason: "NotObserved"}},
	})
}

func TestDaemonSet(t *testing.T) {
	t.Parallel()
	runRows(t, []row{
		{name: "every node runs an updated available pod", fixture: "daemonset/ready.yaml",
			want: want{phase: Ready, counts: counts(1, 1)}},
		{name: "old revision's failing pod is ignored", fixture: "daemonset/progressing.yaml",
			want: want{phase: Progressing, reason: "ContainerCreating", message: "1/2 pods ready, 1 updated, 1 available"}},
		{name: "a pod of the newest revision cannot pull", fixture: "daemonset/new-pod-image.yaml",
			want: want{phase: Failed, reason: "ErrImagePull", culprit: "agent-new/agent"}},
		{name: "OnDelete: ready once observed", fixture: "daemonset/ondelete.yaml",
			want: want{phase: Ready, reason: "OnDelete"}},
	})
}

func TestReplicaSet(t *testing.T) {
	t.Parallel()
	runRows(t, []row{
		{name: "ready", fixture: "replicaset/ready.yaml",
			want: want{phase: Ready, counts: counts(2, 2)}},
		{name: "a pod with a missing Secret", fixture: "replicaset/pod-config-error.yaml",
			want: want{phase: Failed, reason: "CreateContainerConfigError", culprit: "web-x/app", message: `pod web-x: container app: secret "db" not found`}},
	})
}

func TestJob(t *testing.T) {
	t.Parallel()
	runRows(t, []row{
		{name: "complete", fixture: "job/complete.yaml",
			want: want{phase: Ready, counts: counts(1, 1)}},
		{name: "success met, last pod not yet counted", fixture: "job/success-uncounted.yaml",
			want: want{phase: Ready, message: "completed: 1 succeeded", counts: counts(1, 1)}},
		{name: "backoff limit exceeded names the newest failed pod", fixture: "job/failed.yaml",
			want: want{phase: Failed, reason: "BackoffLimitExceeded", culprit: "migrate-new/migrate", message: "backoff limit (2 failed pods)"}},
		{name: "failure target is already a failure", fixture: "job/failure-target.yaml",
			want: want{phase: Failed, reason: "DeadlineExceeded"}},
		{name: "a failed pod is evidence, not a failure", fixture: "job/running-after-crash.yaml",
			want: want{phase: Progressing, message: "1 active, 0 succeeded, 1 failed"}},
		{name: "a crash loop with OnFailure is left to backoffLimit", fixture: "job/onfailure-crashloop.yaml", at: time.Minute,
			want: want{phase: Progressing}},
		{name: "an image that is never pulled fails early", fixture: "job/image-never-pull.yaml",
			want: want{phase: Failed, reason: "ErrImageNeverPull", culprit: "migrate-a/migrate"}},
		{name: "suspended", fixture: "job/suspended.yaml",
			want: want{phase: Ready, reason: "Suspended"}},
	})
}

func TestService(t *testing.T) {
	t.Parallel()
	runRows(t, []row{
		{name: "ExternalName", fixture: "service/externalname.yaml", want: want{phase: Ready}},
		{name: "no selector", fixture: "service/no-selector.yaml", want: want{phase: Ready}},
		{name: "a ready endpoint", fixture: "service/ready.yaml",
			want: want{phase: Ready, message: "1 ready endpoints"}},
		{name: "matching pod but no ready endpoint", fixture: "service/not-ready.yaml",
			want: want{phase: Progressing, reason: "NoReadyEndpoints", message: "0 ready endpoints for 1 matching pods"}},
		{name: "publishNotReadyAddresses counts every endpoint", fixture: "service/publish-not-ready.yaml",
			want: want{phase: Ready}},
		{name: "no pod matches the selector", fixture: "service/no-matching-pods.yaml",
			want: want{phase: Ready, message: "no pods match"}},
		{name: "LoadBalancer without ingress", fixture: "service/lb-pending.yaml",
			want: want{phase: Progressing, reason: "LoadBalancerPending"}},
		{name: "LoadBalancer with ingress", fixture: "service/lb-ready.yaml",
			want: want{phase: Ready}},
	})
}

func TestStorageAndGeneric(t *testing.T) {
	t.Parallel()
	runRows(t, []row{
		{name: "PVC bound", fixture: "storage/pvc-bound.yaml", want: want{phase: Ready, message: "pv-1"}},
		{name: "PVC pending", fixture: "storage/pvc-pending.yaml", want: want{phase: Progressing, reason: "Pending"}},
		{name: "PVC lost", fixture: "storage/pvc-lost.yaml", want: want{phase: Failed, reason: "ClaimLost"}},
		{name: "CRD established", fixture: "generic/crd-established.yaml", want: want{phase: Ready}},
		{name: "CRD installing", fixture: "generic/crd-installing.yaml", want: want{phase: Progressing, reason: "NotEstablished"}},
		{name: "CRD names clash", fixture: "generic/crd-names-conflict.yaml",
			want: want{phase: Failed, reason: "MultipleConflicts", message: "already in use"}},
		{name: "no status: ready once applied", fixture: "generic/configmap.yaml", want: want{phase: Ready}},
		{name: "Ready condition True", fixture: "generic/cr-ready.yaml", want: want{phase: Ready, message: "widget is serving"}},
		{name: "Ready condition False", fixture: "generic/cr-not-ready.yaml",
			want: want{phase: Progressing, reason: "WaitingForBackend", message: "backend not reachable"}},
		{name: "status of an older generation", fixture: "generic/cr-not-observed.yaml",
			want: want{phase: Progressing, reason: "NotObserved"}},
		{name: "Stalled", fixture: "generic/cr-stalled.yaml",
			want: want{phase: Failed, reason: "InvalidSpec", message: "size must be odd"}},
		{name: "Failed condition", fixture: "generic/cr-failed-condition.yaml",
			want: want{phase: Failed, reason: "ProvisioningFailed"}},
		{name: "Reconciling wins over Ready", fixture: "generic/cr-reconciling.yaml",
			want: want{phase: Progressing, reason: "Scaling"}},
		{name: "Available False", fixture: "generic/cr-available-false.yaml",
			want: want{phase: Progressing, reason: "MinimumReplicasUnavailable"}},
		{name: "phase Failed", fixture: "generic/cr-phase-failed.yaml", want: want{phase: Failed, reason: "Failed"}},
		{name: "unknown resource with no conditions never hangs", fixture: "generic/cr-no-conditions.yaml",
			want: want{phase: Ready}},
		{name: "conditions that do not speak of readiness", fixture: "generic/hpa-unrelated-conditions.yaml",
			want: want{phase: Ready}},
	})
}
