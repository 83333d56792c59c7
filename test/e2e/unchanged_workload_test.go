package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// TestNoOpSkipsDeploymentAfterItsRollout deploys a Deployment and its Service, then
// deploys the same again: nothing is applied, though the Deployment's controller wrote
// its status after the apply (a new resourceVersion). Hand edits of its spec, a label or
// an annotation, and a deletion and re-creation by someone else, are each applied back.
func TestNoOpSkipsDeploymentAfterItsRollout(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	docs := []string{strings.Replace(
		workload{Name: "web", Image: e.image(t, "naive", "e2e"), Version: "v1", Service: true}.yaml(),
		"  name: web\nspec:", "  name: web\n  labels: {tier: web}\n  annotations: {example.com/note: kept}\nspec:", 1)}
	deployment := "Deployment " + ns + "/web"
	if applied, _, _ := e.deployJSON(t, ctx, ns, docs); len(applied) != 2 {
		t.Fatalf("install applied %v, want the Deployment and the Service", applied)
	}
	if applied, unchanged, _ := e.deployJSON(t, ctx, ns, docs); len(applied) != 0 || unchanged != 2 {
		t.Errorf("no-op deploy after the rollout: applied %v, %d unchanged; want nothing applied", applied, unchanged)
	}

	deploys := e.client.AppsV1().Deployments(ns)
	edit := func(change func(*appsv1.Deployment)) {
		t.Helper()
		d, err := deploys.Get(ctx, "web", metav1.GetOptions{})
		must(t, err)
		change(d)
		_, err = deploys.Update(ctx, d, metav1.UpdateOptions{FieldManager: "kubectl-edit"})
		must(t, err)
	}
	for _, tc := range []struct {
		name   string
		change func()
	}{
		{"spec edited", func() { edit(func(d *appsv1.Deployment) { two := int32(2); d.Spec.Replicas = &two }) }},
		{"label edited", func() { edit(func(d *appsv1.Deployment) { d.Labels["tier"] = "by-hand" }) }},
		{"annotation removed", func() { edit(func(d *appsv1.Deployment) { delete(d.Annotations, "example.com/note") }) }},
		{"deleted and re-created", func() {
			d, err := deploys.Get(ctx, "web", metav1.GetOptions{})
			must(t, err)
			must(t, deploys.Delete(ctx, "web", metav1.DeleteOptions{}))
			d.ObjectMeta = metav1.ObjectMeta{Name: d.Name, Labels: d.Labels, Annotations: d.Annotations}
			d.Status = appsv1.DeploymentStatus{}
			// Created again as soon as the old one is gone (a background delete is quick).
			must(t, wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
				_, err := deploys.Create(ctx, d, metav1.CreateOptions{FieldManager: "kubectl-create"})
				if apierrors.IsAlreadyExists(err) {
					return false, nil
				}
				return err == nil, err
			}))
		}},
	} {
		tc.change()
		if applied, _, _ := e.deployJSON(t, ctx, ns, docs); !slices.Equal(applied, []string{deployment}) {
			t.Errorf("deploy after %s: applied %v, want only %s", tc.name, applied, deployment)
		}
		d, err := deploys.Get(ctx, "web", metav1.GetOptions{})
		must(t, err)
		if *d.Spec.Replicas != 1 || d.Labels["tier"] != "web" || d.Annotations["example.com/note"] != "kept" {
			t.Errorf("after %s and a deploy: replicas %d, labels %v, annotations %v; want the manifest's",
				tc.name, *d.Spec.Replicas, d.Labels, d.Annotations)
		}
	}
	if applied, unchanged, _ := e.deployJSON(t, ctx, ns, docs); len(applied) != 0 || unchanged != 2 {
		t.Errorf("no-op deploy at the end: applied %v, %d unchanged; want nothing applied", applied, unchanged)
	}
}
