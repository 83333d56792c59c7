package track_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/shipsafe/shipsafe/internal/clustertest"
	"github.com/shipsafe/shipsafe/pkg/health"
	"github.com/shipsafe/shipsafe/pkg/track"
)

// trackTimeout bounds every tracked rollout in these tests.
const trackTimeout = 60 * time.Second

// env is one test's clients and namespace on the real cluster.
type env struct {
	cfg    *rest.Config
	cs     kubernetes.Interface
	dyn    dynamic.Interface
	mapper meta.RESTMapper
	ns     string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	skipShort(t)
	return newEnvFrom(t, clustertest.Config(t))
}

func newEnvFrom(t *testing.T, cfg *rest.Config) *env {
	t.Helper()
	skipShort(t)
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatalf("clientset: %v", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatalf("dynamic client: %v", err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(cs.Discovery()))
	return &env{cfg: cfg, cs: cs, dyn: dyn, mapper: mapper, ns: clustertest.Namespace(t, clustertest.Clientset(t))}
}

// skipShort keeps `go test -short` (make unit) to the pure tests.
func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("skipped under -short: tracks rollouts on the real cluster")
	}
}

// create creates a typed object (with TypeMeta set) in the test namespace and returns it
// as the cluster answered, the way an apply step would hand it to the tracker.
func (e *env) create(t *testing.T, obj runtime.Object) *unstructured.Unstructured {
	t.Helper()
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		t.Fatalf("convert: %v", err)
	}
	u := &unstructured.Unstructured{Object: m}
	gvk := u.GroupVersionKind()
	mapping, err := e.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		t.Fatalf("map %s: %v", gvk, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := e.dyn.Resource(mapping.Resource).Namespace(e.ns).Create(ctx, u, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create %s %s: %v", gvk.Kind, u.GetName(), err)
	}
	return out
}

// get reads an object of the test namespace as the cluster has it now.
func (e *env) get(t *testing.T, group, version, kind, name string) *unstructured.Unstructured {
	t.Helper()
	mapping, err := e.mapper.RESTMapping(schema.GroupKind{Group: group, Kind: kind}, version)
	if err != nil {
		t.Fatalf("map %s: %v", kind, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	obj, err := e.dyn.Resource(mapping.Resource).Namespace(e.ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get %s %s: %v", kind, name, err)
	}
	return obj
}

// run tracks objs with opts and returns the result, the error and every emitted event.
func (e *env) run(t *testing.T, opts health.Options, objs ...*unstructured.Unstructured) (track.Result, error, []track.Event) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), trackTimeout)
	defer cancel()
	tr := track.New(track.Config{Dynamic: e.dyn, Typed: e.cs, Mapper: e.mapper, Health: opts, Logger: testLogger(t)})
	var events []track.Event
	res, err := tr.Run(ctx, objs, track.RunOptions{}, func(ev track.Event) { events = append(events, ev) })
	for _, ev := range events {
		t.Logf("%6.1fs %-13s %s %s %s %s %s", ev.Elapsed.Seconds(), ev.Type, ev.Object.Name, ev.Status.Phase, ev.Status.Reason, ev.Source, firstLine(ev.Status.Message+ev.Message))
	}
	return res, err, events
}

// testLogger sends the tracker's diagnostics to the test log.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// expectFailure checks Run failed with reason, and returns the time of its verdict.
func expectFailure(t *testing.T, res track.Result, err error, events []track.Event, reason string) time.Time {
	t.Helper()
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !res.Failed || res.Reason != reason {
		t.Fatalf("got failed=%v reason %q (%s), want a failure with reason %s", res.Failed, res.Reason, res.Message, reason)
	}
	last := events[len(events)-1]
	if last.Type != track.Done || last.Status.Phase != health.Failed {
		t.Fatalf("last event %+v, want Done with the failed status", last)
	}
	return last.Time
}

func evidenceContains(res track.Result, s string) bool {
	for _, e := range res.Evidence {
		if strings.Contains(e, s) {
			return true
		}
	}
	return false
}

// container is a testapps container: local image, never pulled, a readiness probe on
// /readyz checked every second.
func container(image string) corev1.Container {
	return corev1.Container{
		Name:            "app",
		Image:           image,
		ImagePullPolicy: corev1.PullNever,
		Env:             []corev1.EnvVar{{Name: "VERSION", Value: "v1"}},
		Ports:           []corev1.ContainerPort{{ContainerPort: 8080}},
		ReadinessProbe: &corev1.Probe{
			ProbeHandler:     corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/readyz", Port: intstr.FromInt32(8080)}},
			PeriodSeconds:    1,
			FailureThreshold: 3,
		},
	}
}

func podSpec(c corev1.Container) corev1.PodSpec {
	grace := int64(1)
	return corev1.PodSpec{Containers: []corev1.Container{c}, TerminationGracePeriodSeconds: &grace}
}

func deployment(name string, replicas int32, c corev1.Container) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: podSpec(c)},
		},
	}
}

func service(name string, headless bool) *corev1.Service {
	svc := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": name},
			Ports:    []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}},
		},
	}
	if headless {
		svc.Spec.ClusterIP = corev1.ClusterIPNone
	}
	return svc
}

// firstPodTime watches the test namespace's pods and remembers when one first matched.
type firstPodTime struct {
	mu   sync.Mutex
	when time.Time
}

func (f *firstPodTime) get() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.when
}

func watchFirstPod(ctx context.Context, t *testing.T, e *env, match func(*corev1.Pod) bool) *firstPodTime {
	t.Helper()
	f := &firstPodTime{}
	go func() {
		for ctx.Err() == nil && f.get().IsZero() {
			w, err := e.cs.CoreV1().Pods(e.ns).Watch(ctx, metav1.ListOptions{})
			if err != nil {
				time.Sleep(200 * time.Millisecond)
				continue
			}
			for ev := range w.ResultChan() {
				if p, ok := ev.Object.(*corev1.Pod); ok && match(p) {
					f.mu.Lock()
					if f.when.IsZero() {
						f.when = time.Now()
					}
					f.mu.Unlock()
				}
			}
			w.Stop()
		}
	}()
	return f
}

// crashed matches a pod whose container exited with an error or sits in CrashLoopBackOff.
func crashed(p *corev1.Pod) bool {
	for _, cs := range p.Status.ContainerStatuses {
		if t := cs.State.Terminated; t != nil && t.ExitCode != 0 {
			return true
		}
		if w := cs.State.Waiting; w != nil && w.Reason == "CrashLoopBackOff" {
			return true
		}
		if cs.RestartCount > 0 {
			return true
		}
	}
	return false
}
