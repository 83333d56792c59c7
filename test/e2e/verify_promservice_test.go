package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/shipsafe/shipsafe/internal/clustertest"
	"github.com/shipsafe/shipsafe/internal/promtest"
)

// TestVerifyPrometheusService gates on an error rate with no --prometheus-url: the
// Verification names a Service serving Prometheus (spec.prometheus.service), queried
// through the API server's service proxy; then --prometheus-service names it instead.
// Debian's Prometheus runs on the host, on the node IP; the Service selects a
// hostNetwork pod (the API server proxies only to addresses of pods), whose address is
// the node IP, at Prometheus's port. A good version passes; one with 20 % errors fails
// with the value printed and is rolled back.
func TestVerifyPrometheusService(t *testing.T) {
	t.Parallel()
	e := setup(t)
	img := e.image(t, "metrics", "e2e")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	prom := promtest.StartOn(t, e.client, ns, nodeIP(t, ctx, e.client))
	exposePrometheus(t, ctx, e.client, ns, prom.Port)

	wantExit(t, e.deployWeb(t, ctx, ns, metricsApp{Image: img, Version: "v0", Replicas: 2, SelfLoad: 20}.yaml()), 0)
	waitForRequestRate(t, ctx, prom.URL, ns)

	check := errorRateCheck(ns, "< 0.05", "fail", "")
	inSpec := strings.Replace(verification("10s", "6s", "2s", check), "  checks:\n",
		"  prometheus:\n    service: {name: prometheus, port: web}\n  checks:\n", 1)
	r := e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-f", writeManifest(t,
		metricsApp{Image: img, Version: "v1", Replicas: 2, SelfLoad: 20}.yaml(), inSpec))
	wantExit(t, r, 0)
	wantContains(t, "good version, spec.prometheus.service", r.stdout,
		"verified check error-rate (prometheus): 4 of 4 samples passed, last value 0 (want < 0.05)")

	r = e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "--prometheus-service", ns+"/prometheus:web", "-f", writeManifest(t,
		metricsApp{Image: img, Version: "v2", Replicas: 2, SelfLoad: 20, ErrorRate: "0.2"}.yaml(), verification("10s", "6s", "2s", check)))
	wantExit(t, r, 1)
	wantContains(t, "20% errors, --prometheus-service", r.stdout,
		"FAILED: verification failed: check error-rate (prometheus) failed: value ", "rolling back to revision 2", "revision 2 verified")
	wantValue(t, r.stdout, `check error-rate \(prometheus\) failed: value ([0-9.e-]+), want < 0.05`, 0.17, 0.23)
	e.serves(t, ctx, ns, "web", "v1")

	r = e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "--prometheus-service", "a/b/c", "-f", writeManifest(t,
		metricsApp{Image: img, Version: "v3"}.yaml(), verification("0s", "6s", "2s", check)))
	wantExit(t, r, 2)
	wantContains(t, "bad --prometheus-service", r.stderr, `--prometheus-service "a/b/c"`, "NAMESPACE/]NAME[:PORT]")
}

// nodeIP is the InternalIP of the cluster's (first) node.
func nodeIP(t *testing.T, ctx context.Context, cs kubernetes.Interface) string {
	t.Helper()
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	must(t, err)
	for _, n := range nodes.Items {
		for _, a := range n.Status.Addresses {
			if a.Type == corev1.NodeInternalIP {
				return a.Address
			}
		}
	}
	t.Fatal("no node with an InternalIP")
	return ""
}

// exposePrometheus makes Service prometheus (port web: 9090) in ns lead to port on the
// node IP: it selects a hostNetwork pod running the pause image, whose address is the
// node IP, with targetPort port. It waits until Prometheus answers through the API
// server's service proxy.
func exposePrometheus(t *testing.T, ctx context.Context, cs kubernetes.Interface, ns string, port int) {
	t.Helper()
	labels := map[string]string{"app": "prometheus-host"}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "prometheus-host", Labels: labels},
		Spec: corev1.PodSpec{
			HostNetwork: true,
			Containers:  []corev1.Container{{Name: "pause", Image: "local.test/pause:3.10", ImagePullPolicy: corev1.PullNever}},
		},
	}
	_, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
	must(t, err)
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "prometheus"},
		Spec: corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{
			{Name: "web", Port: 9090, TargetPort: intstr.FromInt(port)}}},
	}
	_, err = cs.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{})
	must(t, err)
	deadline := time.Now().Add(2 * time.Minute)
	var last error
	for time.Now().Before(deadline) {
		body, err := cs.CoreV1().Services(ns).ProxyGet("http", "prometheus", "web", "/-/ready", nil).DoRaw(ctx)
		if err == nil && strings.Contains(string(body), "Ready") {
			return
		}
		last = fmt.Errorf("%v: %s", err, body)
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("Prometheus not reachable through Service %s/prometheus within 2m: %v", ns, last)
}
