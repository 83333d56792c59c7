package apply

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/manifest"
)

// TestRestorePutsAdoptedObjectBack makes ConfigMaps by hand, records them (PriorOf),
// adopts them with a server-side apply that changes data, labels and annotations, and
// puts them back: "kept" exactly as it was (data, labels, annotations, field managers);
// "edited", which Changed refuses, and "recreated", another object now, are left.
func TestRestorePutsAdoptedObjectBack(t *testing.T) {
	t.Parallel()
	a, cs, ns := deleteEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	owner := manifest.Owner{Namespace: ns, Name: "web"}
	var priors []*unstructured.Unstructured
	for _, name := range []string{"kept", "edited", "recreated"} {
		_, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"team": "payments"}, Annotations: map[string]string{"note": "by hand"}},
			Data:       map[string]string{"color": "blue"},
		}, metav1.CreateOptions{FieldManager: "kubectl-create"})
		if err != nil {
			t.Fatal(err)
		}
		live, err := a.Get(ctx, corev1.SchemeGroupVersion.WithKind("ConfigMap"), ns, name)
		if err != nil {
			t.Fatal(err)
		}
		priors = append(priors, PriorOf(live))
		desired := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": name, "namespace": ns},
			"data":     map[string]any{"color": "red", "extra": "1"},
		}}
		if err := manifest.SetOwner([]*unstructured.Unstructured{desired}, owner); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Apply(ctx, []*unstructured.Unstructured{desired}, Options{Force: true}); err != nil {
			t.Fatal(err)
		}
	}
	if err := cs.CoreV1().ConfigMaps(ns).Delete(ctx, "recreated", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "recreated"}, Data: map[string]string{"color": "green"},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	var left leftLog
	restored, err := a.Restore(ctx, priors, RestoreOptions{
		Changed: func(live *unstructured.Unstructured) string {
			if live.GetName() == "edited" {
				return "edited by someone"
			}
			return ""
		},
		OnLeft: left.add,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(restored) != 1 || restored[0].GetName() != "kept" {
		t.Errorf("restored %d objects, want only kept", len(restored))
	}
	wantContains := func(s string, subs ...string) {
		t.Helper()
		for _, sub := range subs {
			if !strings.Contains(s, sub) {
				t.Errorf("left %q, want it to contain %q", s, sub)
			}
		}
	}
	wantContains(left.String(), "ConfigMap "+ns+"/edited: edited by someone", "ConfigMap "+ns+"/recreated: deleted and re-created")

	was := priors[0]
	cm, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "kept", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(cm.Data, map[string]string{"color": "blue"}) || !maps.Equal(cm.Labels, was.GetLabels()) || !maps.Equal(cm.Annotations, was.GetAnnotations()) {
		t.Errorf("kept after Restore: data %v labels %v annotations %v; want as before: %v", cm.Data, cm.Labels, cm.Annotations, was.Object)
	}
	if !apiequality.Semantic.DeepEqual(cm.ManagedFields, was.GetManagedFields()) {
		t.Errorf("kept's field managers after Restore: %+v, want as before: %+v", cm.ManagedFields, was.GetManagedFields())
	}
	edited, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "edited", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if edited.Data["color"] != "red" || edited.Labels[manifest.ReleaseLabel] != "web" {
		t.Errorf("edited, which Changed refused, was changed: %v %v", edited.Data, edited.Labels)
	}
}
