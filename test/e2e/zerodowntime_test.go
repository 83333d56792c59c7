package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// Load settings: a few hundred requests per second, bounded in time, to a ClusterIP.
const (
	loadRate    = 250
	loadWorkers = 8
	loadMax     = 60 * time.Second
)

// naiveManifests is a plain Deployment of the naive app with default rollout settings:
// no preStop, and an app that exits at once on SIGTERM.
const naiveManifests = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: {{IMAGE}}
        imagePullPolicy: Never
        env: [{name: VERSION, value: "{{VERSION}}"}]
        readinessProbe: {httpGet: {path: /readyz, port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`

// gracefulManifests is the lint-clean shape: the graceful app (readiness fails at once on
// SIGTERM, keeps serving for DRAIN_DELAY with Connection: close, then shuts down), a
// preStop sleep, a grace period that covers preStop + the app's budget, maxUnavailable 0,
// and a PodDisruptionBudget.
const gracefulManifests = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxUnavailable: 0, maxSurge: 1}
  template:
    metadata:
      labels: {app: web}
      annotations: {shipsafe.io/shutdown-budget: 15s}
    spec:
      terminationGracePeriodSeconds: 30
      containers:
      - name: app
        image: {{IMAGE}}
        imagePullPolicy: Never
        ports: [{name: http, containerPort: 8080}]
        env:
        - {name: VERSION, value: "{{VERSION}}"}
        - {name: DRAIN_DELAY, value: 5s}
        - {name: SHUTDOWN_TIMEOUT, value: 5s}
        - {name: TERMINATION_GRACE_PERIOD_SECONDS, value: "30"}
        readinessProbe: {httpGet: {path: /readyz, port: http}, periodSeconds: 1, failureThreshold: 1}
        livenessProbe: {httpGet: {path: /livez, port: http}, periodSeconds: 5, failureThreshold: 3}
        lifecycle:
          preStop:
            sleep: {seconds: 10}
        resources:
          requests: {cpu: 10m, memory: 16Mi}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {app: web}}
`

// rollouts drives one app's release in its own namespace.
type rollouts struct {
	t         *testing.T
	e         *env
	ns        string
	image     string
	manifests string
	url       string
	dir       string
}

func newRollouts(t *testing.T, e *env, app, manifests string) *rollouts {
	r := &rollouts{
		t: t, e: e, ns: clustertest.Namespace(t, e.client),
		image: e.image(t, app, "zd"), manifests: manifests, dir: t.TempDir(),
	}
	r.deploy("v1")
	svc, err := e.client.CoreV1().Services(r.ns).Get(context.Background(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get service: %v", err)
	}
	r.url = fmt.Sprintf("http://%s/", svc.Spec.ClusterIP)
	r.waitSettled()
	r.waitServing()
	forgetConnections(t, svc.Spec.ClusterIP)
	return r
}

// waitServing waits until the new Service answers on its ClusterIP, so that the
// measurement starts with a Service that works.
//
// The pods being Ready is not enough: kube-proxy programs a new Service's endpoints
// about a second later, and until then connections are refused. Worse, kube-proxy
// commits the filter table (which rejected the endpoint-less Service) before the nat
// table (which sends it to the pods): a connection attempted in that gap is tracked
// without NAT, and its conntrack entry (SYN_SENT, kept 120 s) then catches every later
// connection that reuses its source port, which fails with "no route to host". The
// caller clears those entries once the Service answers (forgetConnections).
func (r *rollouts) waitServing() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	defer client.CloseIdleConnections()
	answered := 0
	var last error
	err := wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		resp, err := client.Get(r.url)
		if err != nil {
			answered, last = 0, err
			return false, nil
		}
		resp.Body.Close()
		answered++
		// A few answers in a row: kube-proxy has applied the Service, not a partial sync.
		return answered >= 5, nil
	})
	if err != nil {
		r.t.Fatalf("the Service %s/web never answered on %s: %v (last error: %v)", r.ns, r.url, err, last)
	}
}

// write renders the manifests for version into a file and returns its path.
func (r *rollouts) write(name, version string) string {
	body := strings.NewReplacer("{{IMAGE}}", r.image, "{{VERSION}}", version).Replace(r.manifests)
	path := filepath.Join(r.dir, name+".yaml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		r.t.Fatal(err)
	}
	return path
}

func (r *rollouts) deploy(version string) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res := r.e.shipsafe(r.t, ctx, "-n", r.ns, "deploy", "web", "-f", r.write(version, version), "--timeout", "2m")
	if res.code != 0 {
		r.t.Fatalf("deploy %s: exit %d\n%s\n%s", version, res.code, res.stdout, res.stderr)
	}
}

// deployUnderLoad deploys version while traffic runs, and keeps the traffic on until the
// old pods are gone, so that their shutdown is measured too.
func (r *rollouts) deployUnderLoad(version string) loadResult {
	return r.underLoad(func() { r.deploy(version) })
}

// underLoad runs action with traffic before, during and after it, until the pods settle.
func (r *rollouts) underLoad(action func()) loadResult {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan loadResult, 1)
	go func() { done <- load{url: r.url, rate: loadRate, workers: loadWorkers, maxDuration: loadMax}.run(ctx) }()
	time.Sleep(time.Second)
	action()
	r.waitSettled()
	time.Sleep(time.Second)
	cancel()
	return <-done
}

// waitSettled waits until no pod of the app is terminating and all are ready.
func (r *rollouts) waitSettled() {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	err := wait.PollUntilContextCancel(ctx, 500*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		pods, err := r.e.client.CoreV1().Pods(r.ns).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
		if err != nil {
			return false, nil
		}
		for _, p := range pods.Items {
			if p.DeletionTimestamp != nil || !readyPod(&p) {
				return false, nil
			}
		}
		return len(pods.Items) > 0, nil
	})
	if err != nil {
		r.t.Fatalf("pods of %s never settled: %v", r.ns, err)
	}
}

// deletePodsByHand deletes the app's pods one at a time, as `kubectl delete pod` would,
// waiting for the replacement to be ready before the next.
func (r *rollouts) deletePodsByHand() {
	ctx := context.Background()
	pods, err := r.e.client.CoreV1().Pods(r.ns).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		r.t.Fatalf("list pods: %v", err)
	}
	for _, p := range pods.Items {
		if err := r.e.client.CoreV1().Pods(r.ns).Delete(ctx, p.Name, metav1.DeleteOptions{}); err != nil {
			r.t.Fatalf("delete pod %s: %v", p.Name, err)
		}
		r.waitSettled()
	}
}

// scale sets the Deployment's replicas, as `kubectl scale` would.
func (r *rollouts) scale(replicas int32) {
	ctx := context.Background()
	s, err := r.e.client.AppsV1().Deployments(r.ns).GetScale(ctx, "web", metav1.GetOptions{})
	if err != nil {
		r.t.Fatalf("get scale: %v", err)
	}
	s.Spec.Replicas = replicas
	if _, err := r.e.client.AppsV1().Deployments(r.ns).UpdateScale(ctx, "web", s, metav1.UpdateOptions{}); err != nil {
		r.t.Fatalf("scale to %d: %v", replicas, err)
	}
}

// readyPod reports whether p's Ready condition is True.
func readyPod(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// waitClusterSettled waits until no namespace is terminating and kube-proxy reports
// itself in sync (its healthz on 127.0.0.1:10256 answers 200 once it has applied every
// queued change), so that a measurement does not start in the wake of other tests.
func waitClusterSettled(t *testing.T, e *env) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	err := wait.PollUntilContextCancel(ctx, time.Second, true, func(ctx context.Context) (bool, error) {
		nss, err := e.client.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, nil
		}
		for _, ns := range nss.Items {
			if ns.Status.Phase == corev1.NamespaceTerminating {
				return false, nil
			}
		}
		resp, err := client.Get("http://127.0.0.1:10256/healthz")
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
	if err != nil {
		t.Fatalf("the cluster did not settle before the zero-downtime test: %v", err)
	}
}

// forgetConnections deletes the kernel's connection-tracking entries to ip: those of
// connections tried before kube-proxy had programmed the Service (see waitServing), and
// those of an earlier Service with the same ClusterIP (the range is small, so a new
// Service often gets the address of one an earlier test deleted, and entries NAT'd to
// its dead pods would catch new connections; kube-proxy clears such entries for UDP
// only). This is hygiene for the measurement, not something the app or shipsafe does.
func forgetConnections(t *testing.T, ip string) {
	t.Helper()
	out, err := exec.Command("conntrack", "-D", "-d", ip).CombinedOutput()
	// conntrack exits 1 when there was nothing to delete.
	if err != nil && !strings.Contains(string(out), "0 flow entries") {
		t.Fatalf("conntrack -D -d %s: %v\n%s", ip, err, out)
	}
	t.Logf("conntrack entries to %s cleared: %s", ip, strings.TrimSpace(string(out)))
}

// TestZeroDowntime deploys new versions under load three times in a row: the naive app
// drops requests (the problem is real); the graceful app with lint-clean manifests drops
// none, in every rollout, and none when pods are deleted by hand or scaled down.
//
// It is deliberately not parallel: Go runs it before the parallel tests start, alone, so
// that it measures the apps and not a machine starved by other tests' rollouts. It first
// waits for the cluster to settle (namespaces of earlier tests deleted, kube-proxy in
// sync), and runs the graceful app before the naive one, whose teardown churns the
// Service rules.
func TestZeroDowntime(t *testing.T) {
	e := setup(t)
	waitClusterSettled(t, e)
	t.Run("graceful drops none", func(t *testing.T) {
		if problems := gracefulRollouts(t, e); len(problems) > 0 {
			t.Errorf("the graceful app dropped requests:\n  %s", strings.Join(problems, "\n  "))
		}
	})

	t.Run("naive drops requests", func(t *testing.T) {
		r := newRollouts(t, e, "naive", naiveManifests)
		var failed int64
		for i, v := range []string{"v2", "v3", "v4"} {
			res := r.deployUnderLoad(v)
			t.Logf("naive rollout %d to %s: %s", i+1, v, res)
			failed += res.failed
		}
		if failed == 0 {
			t.Fatalf("the naive app dropped no request in 3 rollouts under load; the test cannot show the problem")
		}
		t.Logf("naive: %d failed requests in 3 rollouts", failed)
	})
}

// gracefulRollouts runs the graceful app's measurement in a fresh namespace: three
// rollouts, pods deleted by hand, and a scale-down, all under load. It returns what went
// wrong (empty when no request was dropped).
func gracefulRollouts(t *testing.T, e *env) []string {
	r := newRollouts(t, e, "graceful", gracefulManifests)
	lint := e.shipsafe(t, context.Background(), "lint", "--strict", "-f", r.write("lint", "v1"))
	if lint.code != 0 || strings.TrimSpace(lint.stdout) != "" {
		t.Fatalf("the graceful manifests are not lint-clean: exit %d\n%s", lint.code, lint.stdout)
	}
	var problems []string
	for i, v := range []string{"v2", "v3", "v4"} {
		res := r.deployUnderLoad(v)
		t.Logf("graceful rollout %d to %s: %s", i+1, v, res)
		if res.failed != 0 {
			problems = append(problems, fmt.Sprintf("rollout %d to %s failed %d requests: %s", i+1, v, res.failed, res))
		}
		if res.versions[v] == 0 {
			problems = append(problems, fmt.Sprintf("rollout to %s: no answer from the new version: %s", v, res))
		}
	}
	res := r.underLoad(func() { r.deletePodsByHand() })
	t.Logf("graceful, pods deleted by hand: %s", res)
	if res.failed != 0 {
		problems = append(problems, fmt.Sprintf("deleting pods by hand failed %d requests: %s", res.failed, res))
	}
	res = r.underLoad(func() { r.scale(1) })
	t.Logf("graceful, scale 3 -> 1: %s", res)
	if res.failed != 0 {
		problems = append(problems, fmt.Sprintf("scaling down failed %d requests: %s", res.failed, res))
	}
	return problems
}
