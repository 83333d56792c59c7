package track_test

import (
	"context"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/shipsafe/shipsafe/internal/clustertest"
	"github.com/shipsafe/shipsafe/pkg/track"
)

// TestForbiddenWatchIsAnErrorAtOnce tracks a Deployment as a ServiceAccount that may
// watch Deployments, ReplicaSets and Pods but not Events. The Events informer can never
// list; Run used to wait silently for its context ("its watch never finished listing").
// It must return at once an error that names the resource and the verb.
func TestForbiddenWatchIsAnErrorAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	web := e.create(t, deployment("web", 1, container(clustertest.Image(t, "naive", "v1"))))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sa := clustertest.ServiceAccount(t, ctx, e.cfg, e.ns, "tracker", []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"pods", "pods/log"}, Verbs: []string{"get", "list", "watch"}},
		{APIGroups: []string{"apps"}, Resources: []string{"deployments", "replicasets"}, Verbs: []string{"get", "list", "watch"}},
	})
	clustertest.WaitAllowed(t, ctx, sa, e.ns, "apps", "replicasets", "watch")
	cs, err := kubernetes.NewForConfig(sa)
	if err != nil {
		t.Fatalf("clientset: %v", err)
	}
	dyn, err := dynamic.NewForConfig(sa)
	if err != nil {
		t.Fatalf("dynamic client: %v", err)
	}
	tr := track.New(track.Config{Dynamic: dyn, Typed: cs, Mapper: e.mapper, Logger: testLogger(t)})
	_, err = tr.Run(ctx, []*unstructured.Unstructured{web}, track.RunOptions{}, nil)
	if ctx.Err() != nil {
		t.Fatalf("Run waited until its context ended (%v): a forbidden watch must stop it at once", err)
	}
	if err == nil {
		t.Fatal("Run succeeded without permission to watch events")
	}
	for _, want := range []string{"events", "forbidden", "list", e.ns} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}
