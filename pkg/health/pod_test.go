package health

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

func TestPod(t *testing.T) {
	t.Parallel()
	runRows(t, []row{
		{name: "no readiness probe, just started: settling", fixture: "pod/ready.yaml", at: 2 * time.Second,
			want: want{phase: Progressing, reason: "Settling", message: "container app has no readiness probe", recheck: 3 * time.Second}},
		{name: "no readiness probe, run long enough", fixture: "pod/ready.yaml", at: 3 * time.Second,
			want: want{phase: Ready}},
		{name: "running and ready", fixture: "pod/ready.yaml", at: time.Minute,
			want: want{phase: Ready, message: "1/1 containers ready", counts: counts(1, 1)}},
		{name: "back-off after second crash fails at the default of 2", fixture: "pod/crashloop.yaml", at: 5 * time.Second,
			want: want{phase: Failed, reason: "CrashLoopBackOff", culprit: "web/app", message: "crashed 2 times; last exit code 1"}},
		{name: "back-off tolerated below a higher threshold", fixture: "pod/crashloop.yaml", at: 5 * time.Second, opts: Options{CrashLoopRestarts: 3},
			want: want{phase: Progressing, reason: "CrashLoopBackOff"}},
		{name: "first crash is not yet a loop", fixture: "pod/first-crash.yaml", at: 3 * time.Second,
			want: want{phase: Progressing, reason: "Error", message: "0/1 containers ready; container app exited with code 1"}},
		{name: "first crash fails with a threshold of 1", fixture: "pod/first-crash.yaml", at: 3 * time.Second, opts: Options{CrashLoopRestarts: 1},
			want: want{phase: Failed, reason: "CrashLoopBackOff", culprit: "web/app"}},
		{name: "running again after one crash", fixture: "pod/restarted-once-running.yaml", at: 4 * time.Second,
			want: want{phase: Progressing, reason: "NotReady", message: "restarted 1 times"}},
		{name: "flapping back to running keeps the restart count", fixture: "pod/flapping-running.yaml", at: 61 * time.Second,
			want: want{phase: Failed, reason: "CrashLoopBackOff", culprit: "web/app", message: "crashed 4 times; last exit code 2 (Error)"}},
		{name: "restarts do not fail a ready container", fixture: "pod/restarted-but-ready.yaml", at: 2 * time.Minute,
			want: want{phase: Ready}},
		{name: "a container that exits 0 in a loop", fixture: "pod/exits-zero-loop.yaml", at: 5 * time.Second,
			want: want{phase: Failed, reason: "CrashLoopBackOff", culprit: "web/app"}},
		{name: "image pull back-off", fixture: "pod/waiting-ImagePullBackOff.yaml",
			want: want{phase: Failed, reason: "ImagePullBackOff", culprit: "web/app", message: "the ImagePullBackOff message"}},
		{name: "image pull error", fixture: "pod/waiting-ErrImagePull.yaml",
			want: want{phase: Failed, reason: "ErrImagePull", culprit: "web/app"}},
		{name: "image never pulled", fixture: "pod/waiting-ErrImageNeverPull.yaml",
			want: want{phase: Failed, reason: "ErrImageNeverPull", culprit: "web/app"}},
		{name: "invalid image name", fixture: "pod/waiting-InvalidImageName.yaml",
			want: want{phase: Failed, reason: "InvalidImageName", culprit: "web/app"}},
		{name: "container config error (missing Secret)", fixture: "pod/waiting-CreateContainerConfigError.yaml",
			want: want{phase: Failed, reason: "CreateContainerConfigError", culprit: "web/app", message: "container app: the CreateContainerConfigError message"}},
		{name: "OOMKilled", fixture: "pod/oomkilled.yaml", at: 6 * time.Second,
			want: want{phase: Failed, reason: "OOMKilled", culprit: "web/app", message: "(64Mi)"}},
		{name: "readiness within budget asks for a recheck", fixture: "pod/readiness.yaml", at: 20 * time.Second,
			want: want{phase: Progressing, reason: "NotReady", recheck: 21 * time.Second}},
		{name: "readiness past budget plus grace", fixture: "pod/readiness.yaml", at: 21 * time.Second,
			want: want{phase: Failed, reason: "ReadinessProbeFailing", culprit: "web/app", message: "budget 11s plus grace 10s"}},
		{name: "readiness with a custom grace", fixture: "pod/readiness.yaml", at: 14 * time.Second, opts: Options{ReadyGrace: 3 * time.Second},
			want: want{phase: Failed, reason: "ReadinessProbeFailing", culprit: "web/app"}},
		{name: "readiness with no grace", fixture: "pod/readiness.yaml", at: 11 * time.Second, opts: Options{ReadyGrace: -1},
			want: want{phase: Failed, reason: "ReadinessProbeFailing", culprit: "web/app"}},
		{name: "startup probe budget comes first", fixture: "pod/readiness-startup.yaml", at: 40 * time.Second,
			want: want{phase: Progressing, reason: "NotReady", recheck: 46 * time.Second}},
		{name: "startup and readiness budgets spent", fixture: "pod/readiness-startup.yaml", at: 46 * time.Second,
			want: want{phase: Failed, reason: "ReadinessProbeFailing", culprit: "web/app"}},
		{name: "unschedulable within grace", fixture: "pod/unschedulable.yaml", at: 10 * time.Second,
			want: want{phase: Progressing, reason: "Unschedulable", message: "Insufficient cpu", recheck: 15 * time.Second}},
		{name: "unschedulable past grace", fixture: "pod/unschedulable.yaml", at: 15 * time.Second,
			want: want{phase: Failed, reason: "Unschedulable", message: "unschedulable for 15s: 0/1 nodes are available: 1 Insufficient cpu."}},
		{name: "unschedulable with a custom grace", fixture: "pod/unschedulable.yaml", at: 4 * time.Second, opts: Options{UnschedulableGrace: 3 * time.Second},
			want: want{phase: Failed, reason: "Unschedulable"}},
		{name: "unschedulable while the autoscaler adds a node", fixture: "pod/unschedulable.yaml", at: 10 * time.Minute,
			scaleUps: map[types.UID]string{"pod-uid": "pod triggered scale-up: [{pool-a 1->2 (max: 5)}]"},
			want:     want{phase: Progressing, reason: "WaitingForNode", message: "waiting for a new node: pod triggered scale-up"}},
		{name: "a scale-up for another pod does not count", fixture: "pod/unschedulable.yaml", at: 15 * time.Second,
			scaleUps: map[types.UID]string{"other-pod": "pod triggered scale-up"},
			want:     want{phase: Failed, reason: "Unschedulable"}},
		{name: "container creating", fixture: "pod/creating.yaml", at: time.Second,
			want: want{phase: Progressing, reason: "ContainerCreating", message: "container app waiting: ContainerCreating"}},
		{name: "succeeded", fixture: "pod/succeeded.yaml",
			want: want{phase: Ready, reason: "Completed"}},
		{name: "failed with an exit code", fixture: "pod/failed.yaml",
			want: want{phase: Failed, reason: "ContainerFailed", culprit: "job-x/app", message: "exited with code 2 (Error)"}},
		{name: "evicted", fixture: "pod/evicted.yaml",
			want: want{phase: Failed, reason: "Evicted", message: "low on resource"}},
		{name: "terminating pods are never failed", fixture: "pod/terminating.yaml", at: time.Minute,
			want: want{phase: Progressing, reason: "Terminating"}},
		{name: "init container crash loop", fixture: "pod/init-crashloop.yaml", at: time.Minute,
			want: want{phase: Failed, reason: "CrashLoopBackOff", culprit: "web/migrate"}},
	})
}

// TestPodIsLevelDriven checks the verdict depends only on the state and the time given:
// the same pod judged twice, or at an earlier moment after a later one, gives the same
// answers.
func TestPodIsLevelDriven(t *testing.T) {
	t.Parallel()
	obj, _ := loadFixture(t, "pod/readiness.yaml")
	pod := typed[corev1.Pod](t, obj)
	late := Pod(pod, Related{}, Options{}, t0.Add(30*time.Second))
	early := Pod(pod, Related{}, Options{}, t0.Add(5*time.Second))
	again := Pod(pod, Related{}, Options{}, t0.Add(30*time.Second))
	if late.Phase != Failed || early.Phase != Progressing || !late.Equal(again) {
		t.Fatalf("late %s, early %s, again %s", late.Phase, early.Phase, again.Phase)
	}
}
