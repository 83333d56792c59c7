package track_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/health"
	"github.com/shipsafe/shipsafe/pkg/track"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// These tests need the real cluster and the test images, built with
// `make image APP=<naive|crash|slowstart|badprobe> TAG=v1`.

func TestReadyDeploymentServiceAndFriends(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cm := e.create(t, &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: "settings"},
		Data:       map[string]string{"LOG_LEVEL": "info"},
	})
	web := e.create(t, deployment("web", 2, container(clustertest.Image(t, "naive", "v1"))))
	svc := e.create(t, service("web", false))
	db := e.create(t, service("db", true))
	one := int32(1)
	labels := map[string]string{"app": "db"}
	sts := e.create(t, &appsv1.StatefulSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"},
		ObjectMeta: metav1.ObjectMeta{Name: "db"},
		Spec: appsv1.StatefulSetSpec{
			Replicas: &one, ServiceName: "db",
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: podSpec(container(clustertest.Image(t, "naive", "v1")))},
		},
	})
	agentLabels := map[string]string{"app": "agent"}
	agentSpec := podSpec(container(clustertest.Image(t, "naive", "v1")))
	agentSpec.Tolerations = []corev1.Toleration{{Operator: corev1.TolerationOpExists}}
	ds := e.create(t, &appsv1.DaemonSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "DaemonSet"},
		ObjectMeta: metav1.ObjectMeta{Name: "agent"},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: agentLabels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: agentLabels}, Spec: agentSpec},
		},
	})

	res, err, events := e.run(t, health.Options{}, cm, web, svc, db, sts, ds)
	if err != nil || res.Failed {
		t.Fatalf("Run: err %v, failed %v (%s: %s)", err, res.Failed, res.Reason, res.Message)
	}
	if len(res.Objects) != 6 {
		t.Fatalf("got %d object results, want 6", len(res.Objects))
	}
	for _, o := range res.Objects {
		if o.Status.Phase != health.Ready {
			t.Errorf("%s: %s, want Ready", o.Ref, o.Status.Phase)
		}
	}
	if got := res.Objects[1].Status; got.Ready != 2 || got.Desired != 2 {
		t.Errorf("deployment counts %d/%d, want 2/2", got.Ready, got.Desired)
	}
	if res.Objects[1].ReadyAfter <= 0 {
		t.Errorf("deployment ReadyAfter %s, want a positive time to ready", res.Objects[1].ReadyAfter)
	}
	if last := events[len(events)-1]; last.Type != track.Done {
		t.Errorf("last event %s, want Done", last.Type)
	}
}

func TestCrashLoopFailsFastWithTheLogLine(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), trackTimeout)
	defer cancel()
	first := watchFirstPod(ctx, t, e, crashed)
	web := e.create(t, deployment("web", 1, container(clustertest.Image(t, "crash", "v1"))))

	res, err, events := e.run(t, health.Options{}, web)
	at := expectFailure(t, res, err, events, "CrashLoopBackOff")
	if !evidenceContains(res, "fatal: cannot start") {
		t.Errorf("evidence lacks the container's fatal line: %q", res.Evidence)
	}
	var logLine bool
	for _, ev := range events {
		logLine = logLine || (ev.Type == track.LogLine && ev.Source != "" && len(ev.Message) > 0)
	}
	if !logLine {
		t.Error("no LogLine event emitted")
	}
	seen := first.get()
	if seen.IsZero() {
		t.Fatal("the test's own watch never saw the pod crash")
	}
	if d := at.Sub(seen); d > 15*time.Second {
		t.Errorf("verdict %s after the pod first showed the crash, want under 15s", d)
	}
	t.Logf("verdict %s after the pod first showed the crash", at.Sub(seen).Round(time.Millisecond))
}

func TestMissingImageFailsFast(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	web := e.create(t, deployment("web", 1, container("local.test/nope:v0")))
	res, err, events := e.run(t, health.Options{}, web)
	expectFailure(t, res, err, events, "ErrImageNeverPull")
	if res.Duration > 15*time.Second {
		t.Errorf("verdict after %s, want under 15s", res.Duration)
	}
}

func TestReadinessProbeFailing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := container(clustertest.Image(t, "badprobe", "v1"))
	c.ReadinessProbe.FailureThreshold = 2
	web := e.create(t, deployment("web", 1, c))
	res, err, events := e.run(t, health.Options{ReadyGrace: 2 * time.Second}, web)
	expectFailure(t, res, err, events, "ReadinessProbeFailing")
	if !evidenceContains(res, "answering 503") {
		t.Errorf("evidence lacks the container's log: %q", res.Evidence)
	}
	if res.Duration > 30*time.Second {
		t.Errorf("verdict after %s, want within the probe budget plus grace and start-up", res.Duration)
	}
}

func TestSlowStartIsNotFailed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := container(clustertest.Image(t, "slowstart", "v1"))
	c.Env = append(c.Env, corev1.EnvVar{Name: "READY_AFTER", Value: "8"})
	// A probe suited to an app that needs 8s: a 10s budget (plus the default 10s grace).
	c.ReadinessProbe.FailureThreshold = 10
	web := e.create(t, deployment("web", 1, c))
	res, err, _ := e.run(t, health.Options{}, web)
	if err != nil || res.Failed {
		t.Fatalf("Run: err %v, failed %v (%s: %s)", err, res.Failed, res.Reason, res.Message)
	}
	if got := res.Objects[0].ReadyAfter; got < 8*time.Second {
		t.Errorf("ready after %s, before the app can be ready (8s)", got)
	}
}

func TestFailingJob(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	zero := int32(0)
	c := container(clustertest.Image(t, "crash", "v1"))
	c.ReadinessProbe = nil
	spec := podSpec(c)
	spec.RestartPolicy = corev1.RestartPolicyNever
	job := e.create(t, &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Name: "migrate"},
		Spec:       batchv1.JobSpec{BackoffLimit: &zero, Template: corev1.PodTemplateSpec{Spec: spec}},
	})
	res, err, events := e.run(t, health.Options{}, job)
	expectFailure(t, res, err, events, "BackoffLimitExceeded")
	if !evidenceContains(res, "fatal: cannot start") {
		t.Errorf("evidence lacks the job pod's fatal line: %q", res.Evidence)
	}
}

func TestMissingSecretFails(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := container(clustertest.Image(t, "naive", "v1"))
	c.Env = append(c.Env, corev1.EnvVar{Name: "DATABASE_URL", ValueFrom: &corev1.EnvVarSource{
		SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "db-credentials"}, Key: "url"},
	}})
	web := e.create(t, deployment("web", 1, c))
	res, err, events := e.run(t, health.Options{}, web)
	expectFailure(t, res, err, events, "CreateContainerConfigError")
	if want := `secret "db-credentials" not found`; !strings.Contains(res.Message, want) && !evidenceContains(res, want) {
		t.Errorf("neither the message %q nor the evidence %q says %s", res.Message, res.Evidence, want)
	}
}

func TestUnschedulable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := container(clustertest.Image(t, "naive", "v1"))
	c.Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1000")}
	web := e.create(t, deployment("web", 1, c))
	res, err, events := e.run(t, health.Options{UnschedulableGrace: 3 * time.Second}, web)
	expectFailure(t, res, err, events, "Unschedulable")
	if !strings.Contains(res.Message, "Insufficient cpu") {
		t.Errorf("message %q does not name the scheduler's reason", res.Message)
	}
	if !evidenceContains(res, "FailedScheduling") {
		t.Logf("evidence has no FailedScheduling event (yet): %q", res.Evidence)
	}
}

// TestRolloutAwayFromACrashIsReady checks that the old ReplicaSet's crash-looping pods
// never fail a rollout to a good version.
func TestRolloutAwayFromACrashIsReady(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), trackTimeout)
	defer cancel()
	looping := watchFirstPod(ctx, t, e, func(p *corev1.Pod) bool {
		for _, cs := range p.Status.ContainerStatuses {
			if cs.RestartCount >= 2 {
				return true
			}
		}
		return false
	})
	d := deployment("web", 1, container(clustertest.Image(t, "crash", "v1")))
	e.create(t, d)
	for looping.get().IsZero() {
		if ctx.Err() != nil {
			t.Fatal("the crash image never restarted twice")
		}
		time.Sleep(200 * time.Millisecond)
	}
	cur, err := e.cs.AppsV1().Deployments(e.ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cur.Spec.Template.Spec.Containers[0].Image = clustertest.Image(t, "naive", "v1")
	if _, err := e.cs.AppsV1().Deployments(e.ns).Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	obj := e.get(t, "apps", "v1", "Deployment", "web")
	res, err, _ := e.run(t, health.Options{}, obj)
	if err != nil || res.Failed {
		t.Fatalf("Run: err %v, failed %v (%s: %s)", err, res.Failed, res.Reason, res.Message)
	}
}

func TestContextEndReportsWhatIsNotReady(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := container(clustertest.Image(t, "slowstart", "v1"))
	c.Env = append(c.Env, corev1.EnvVar{Name: "READY_AFTER", Value: "600"})
	c.ReadinessProbe.FailureThreshold = 1000
	web := e.create(t, deployment("web", 1, c))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	tr := track.New(track.Config{Dynamic: e.dyn, Typed: e.cs, Mapper: e.mapper})
	res, err := tr.Run(ctx, []*unstructured.Unstructured{web}, track.RunOptions{}, nil)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run error %v, want one wrapping context.DeadlineExceeded", err)
	}
	if !strings.Contains(err.Error(), "apps/Deployment "+e.ns+"/web") {
		t.Errorf("error %q does not name the object still not ready", err)
	}
	if len(res.NotReady()) != 1 || res.Failed {
		t.Errorf("result %+v, want one object not ready and no failure", res)
	}
}
