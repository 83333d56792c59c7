package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// TestClusterServesADeployment proves the local cluster is real: a 2-replica Deployment
// of a test app behind a Service answers through the ClusterIP (kube-proxy) and from
// each pod (the bridge network).
func TestClusterServesADeployment(t *testing.T) {
	t.Parallel()
	e := setup(t)
	img := e.image(t, "naive", "e2e")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	labels := map[string]string{"app": "hello"}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "hello"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "app", Image: img, ImagePullPolicy: corev1.PullNever,
					Env: []corev1.EnvVar{{Name: "VERSION", Value: "hello-v1"}},
					ReadinessProbe: &corev1.Probe{
						ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/readyz", Port: intstr.FromInt32(8080)}},
						PeriodSeconds: 1,
					},
				}}},
			},
		},
	}
	if _, err := e.client.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create deployment: %v", err)
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "hello"},
		Spec:       corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}}},
	}
	svc, err := e.client.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create service: %v", err)
	}

	err = wait.PollUntilContextCancel(ctx, time.Second, true, func(ctx context.Context) (bool, error) {
		d, err := e.client.AppsV1().Deployments(ns).Get(ctx, "hello", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return d.Status.ReadyReplicas == 2 && d.Status.UpdatedReplicas == 2, nil
	})
	if err != nil {
		t.Fatalf("deployment never had 2 ready replicas: %v", err)
	}

	pods, err := e.client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=hello"})
	if err != nil {
		t.Fatalf("list pods: %v", err)
	}
	var ready int
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil || p.Status.PodIP == "" {
			continue
		}
		ready++
		if body := get(t, ctx, fmt.Sprintf("http://%s:8080/", p.Status.PodIP)); body != "hello-v1" {
			t.Errorf("pod %s answered %q, want hello-v1", p.Name, body)
		}
	}
	if ready != 2 {
		t.Fatalf("found %d running pods with an IP, want 2", ready)
	}
	if body := get(t, ctx, fmt.Sprintf("http://%s/", svc.Spec.ClusterIP)); body != "hello-v1" {
		t.Errorf("ClusterIP %s answered %q, want hello-v1", svc.Spec.ClusterIP, body)
	}
}

// get fetches url, retrying briefly while kube-proxy programs its rules, and returns the
// trimmed body of a 200 answer.
func get(t *testing.T, ctx context.Context, url string) string {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	var lastErr error
	for i := 0; i < 30; i++ {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			b, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if rerr == nil && resp.StatusCode == http.StatusOK {
				return strings.TrimSpace(string(b))
			}
			lastErr = fmt.Errorf("status %s, read error %v", resp.Status, rerr)
		} else {
			lastErr = err
		}
		time.Sleep(time.Second)
	}
	t.Fatalf("GET %s: %v", url, lastErr)
	return ""
}
