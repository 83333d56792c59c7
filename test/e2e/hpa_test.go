package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// hpaGVR is the resource of HorizontalPodAutoscalers.
var hpaGVR = schema.GroupVersionResource{Group: "autoscaling", Version: "v2", Resource: "horizontalpodautoscalers"}

// hpa renders an autoscaling/v2 HorizontalPodAutoscaler named name that scales the
// Deployment target between 1 and 5 replicas on CPU. Without metrics it never scales
// (the replica count stays inside its range), so the test scales for it.
func hpa(name, target string) string {
	return fmt.Sprintf(`apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: %s
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: %s}
  minReplicas: 1
  maxReplicas: 5
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}
`, name, target)
}

// TestHPAScaledReplicasAreKept deploys a Deployment of 1 replica with an HPA targeting it,
// then scales it to 3 as the HPA does: an Update of deployments/scale by field manager
// kube-controller-manager. Deploying again, unchanged and then with a new version, keeps
// 3 replicas (read with the admin client) and says so, naming the HPA. An HPA that is no
// part of the release counts as well: Deployment api, scaled to 2 by one made with the
// admin client, keeps 2. The control: a
// Deployment no HPA targets, scaled the same way by kubectl, is a hand edit and is taken
// back to its manifest's count with a warning.
func TestHPAScaledReplicasAreKept(t *testing.T) {
	t.Parallel()
	e := setup(t)
	img := e.image(t, "naive", "e2e")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	release := func(version string) string {
		return writeManifest(t,
			workload{Name: "web", Image: img, Version: version, Replicas: 1}.yaml(),
			hpa("web", "web"),
			workload{Name: "api", Image: img, Version: version, Replicas: 1}.yaml(),
			workload{Name: "worker", Image: img, Version: "v1", Replicas: 1}.yaml(),
		)
	}
	wantExit(t, e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-f", release("v1")), 0)
	var outside unstructured.Unstructured
	if err := yaml.Unmarshal([]byte(hpa("api", "api")), &outside.Object); err != nil {
		t.Fatalf("decode HPA: %v", err)
	}
	if _, err := e.dynamic(t).Resource(hpaGVR).Namespace(ns).Create(ctx, &outside, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create HPA api outside the release: %v", err)
	}

	scaleAs := func(name, manager string, n int32) {
		t.Helper()
		s, err := e.client.AppsV1().Deployments(ns).GetScale(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get scale of %s: %v", name, err)
		}
		s.Spec.Replicas = n
		if _, err := e.client.AppsV1().Deployments(ns).UpdateScale(ctx, name, s, metav1.UpdateOptions{FieldManager: manager}); err != nil {
			t.Fatalf("scale %s to %d as %s: %v", name, n, manager, err)
		}
	}
	replicas := func(name string) int32 {
		t.Helper()
		d, err := e.client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get deployment %s: %v", name, err)
		}
		return *d.Spec.Replicas
	}

	// The HPA's scale, and a hand edit of the Deployment no HPA targets.
	scaleAs("web", "kube-controller-manager", 3)
	scaleAs("api", "kube-controller-manager", 2)
	scaleAs("worker", "kubectl", 3)

	r := e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-f", release("v1"))
	wantExit(t, r, 0)
	if got := replicas("web"); got != 3 {
		t.Errorf("unchanged deploy: web has %d replicas, want the HPA's 3\n%s", got, r.stdout)
	}
	if got := replicas("worker"); got != 1 {
		t.Errorf("unchanged deploy: worker has %d replicas, want the manifest's 1 (a hand edit)", got)
	}
	if got := replicas("api"); got != 2 {
		t.Errorf("unchanged deploy: api has %d replicas, want the outside HPA's 2", got)
	}
	wantContains(t, "takeover warning", r.stdout, "took back", ".spec.replicas", "kubectl")

	r = e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-f", release("v2"))
	wantExit(t, r, 0)
	if got := replicas("web"); got != 3 {
		t.Errorf("deploy of v2: web has %d replicas, want the HPA's 3\n%s", got, r.stdout)
	}
	if got := replicas("api"); got != 2 {
		t.Errorf("deploy of v2: api has %d replicas, want the outside HPA's 2", got)
	}
	wantContains(t, "kept replicas line", r.stdout, "HorizontalPodAutoscaler web", "kept at 3", "HorizontalPodAutoscaler api", "kept at 2")
	d, err := e.client.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get deployment web: %v", err)
	}
	if v := d.Spec.Template.Spec.Containers[0].Env[0].Value; v != "v2" {
		t.Errorf("deploy of v2: web runs VERSION %q, want v2", v)
	}
	e.wantConsistent(t, ctx, ns, "web")
}
