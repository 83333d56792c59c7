package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// idleApps returns n Deployments of 0 replicas, each with a Service: objects a deploy
// waits for, ready as soon as their controllers have seen them.
func idleApps(n int, image string) []string {
	var docs []string
	for i := range n {
		w := workload{Name: fmt.Sprintf("app-%02d", i), Image: image, Version: "v1", Service: true}.yaml()
		docs = append(docs, strings.Replace(strings.TrimSpace(w), "replicas: 1", "replicas: 0", 1))
	}
	return docs
}

// TestNoOpChecksUnchangedObjectsOnce deploys a release of 2 and one of 20 idle
// Deployments with their Services, then each again unchanged: the no-op's API requests
// do not grow with the number of objects (their readiness is read from one LIST per kind
// and namespace, not a watch per object). An unchanged Deployment whose pods fail now
// (its Secret deleted by hand) still fails the no-op deploy, naming why.
func TestNoOpChecksUnchangedObjectsOnce(t *testing.T) {
	t.Parallel()
	e := setup(t)
	small, large := clustertest.Namespace(t, e.client), clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	image := e.image(t, "naive", "e2e")

	// The small release's first Deployment runs one pod that reads a Secret the release
	// does not hold.
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "outside"}, StringData: map[string]string{"token": "t"}}
	_, err := e.client.CoreV1().Secrets(small).Create(ctx, secret, metav1.CreateOptions{})
	must(t, err)
	smallDocs := idleApps(2, image)
	smallDocs[0] = strings.Replace(strings.Replace(smallDocs[0], "replicas: 0", "replicas: 1", 1),
		"        env:\n", "        env:\n        - name: TOKEN\n          valueFrom: {secretKeyRef: {name: outside, key: token}}\n", 1)
	largeDocs := idleApps(20, image)

	e.deployJSON(t, ctx, small, smallDocs)
	e.deployJSON(t, ctx, large, largeDocs)
	_, smallUnchanged, smallRequests := e.deployJSON(t, ctx, small, smallDocs)
	_, largeUnchanged, largeRequests := e.deployJSON(t, ctx, large, largeDocs)
	if smallUnchanged != 4 || largeUnchanged != 40 {
		t.Fatalf("no-op deploys left %d and %d objects unchanged, want 4 and 40", smallUnchanged, largeUnchanged)
	}
	t.Logf("no-op API requests: %d for 4 objects, %d for 40", smallRequests, largeRequests)
	// The same kinds in one namespace each: the same requests, give or take a retry.
	if largeRequests > smallRequests+3 {
		t.Errorf("no-op of 40 unchanged objects: %d API requests; of 4: %d; want no more per object", largeRequests, smallRequests)
	}

	// The pod of app-00 fails to start once its Secret is gone; the Deployment is unchanged.
	must(t, e.client.CoreV1().Secrets(small).Delete(ctx, "outside", metav1.DeleteOptions{}))
	must(t, e.client.CoreV1().Pods(small).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: "app=app-00"}))
	must(t, wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		pods, err := e.client.CoreV1().Pods(small).List(ctx, metav1.ListOptions{LabelSelector: "app=app-00"})
		if err != nil {
			return false, err
		}
		for _, p := range pods.Items {
			for _, c := range p.Status.ContainerStatuses {
				if w := c.State.Waiting; w != nil && w.Reason == "CreateContainerConfigError" {
					return true, nil
				}
			}
		}
		return false, nil
	}))
	r := e.shipsafe(t, ctx, "-n", small, "deploy", "big", "-f", writeManifest(t, smallDocs...))
	if r.code == 0 || !strings.Contains(r.stdout+r.stderr, "app-00") || !strings.Contains(r.stdout+r.stderr, "CreateContainerConfigError") {
		t.Errorf("no-op deploy with an unchanged Deployment whose pod cannot start: exit %d, want a failure naming app-00 and CreateContainerConfigError\nstdout:\n%s\nstderr:\n%s",
			r.code, r.stdout, r.stderr)
	}
}
