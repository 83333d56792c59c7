package track

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/health"
)

// A cached copy older than what was applied must not be judged: its status describes the
// previous spec.
func TestCheckIgnoresCopiesOlderThanTheApply(t *testing.T) {
	t.Parallel()
	deployment := func(generation, observed int64) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "apps/v1", "kind": "Deployment",
			"metadata": map[string]any{"name": "web", "namespace": "shop", "generation": generation},
			"spec":     map[string]any{"replicas": int64(1)},
			"status": map[string]any{
				"observedGeneration": observed, "replicas": int64(1), "updatedReplicas": int64(1),
				"readyReplicas": int64(1), "availableReplicas": int64(1),
			},
		}}
	}
	tg := &target{ref: ObjectRef{Group: "apps", Kind: "Deployment", Namespace: "shop", Name: "web"}, minGeneration: 3}
	cases := []struct {
		name string
		obj  *unstructured.Unstructured
		want health.Phase
	}{
		{"stale copy of the previous spec, fully rolled out", deployment(2, 2), health.Progressing},
		{"the applied generation, rolled out", deployment(3, 3), health.Ready},
		{"a newer generation", deployment(4, 4), health.Ready},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tg.check(tc.obj, health.Related{}, health.Options{}.WithDefaults(), time.Now()); got.Phase != tc.want {
				t.Errorf("phase = %s (%s), want %s", got.Phase, got.Message, tc.want)
			}
		})
	}
}

// A kind with nothing to wait for says whether it was applied: an unchanged one was not.
func TestCheckOfStaticKindSaysWhetherItWasApplied(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		unchanged bool
		want      string
	}{{false, "applied; nothing to wait for"}, {true, "unchanged; nothing to wait for"}} {
		tg := &target{static: true, unchanged: tt.unchanged}
		st := tg.check(nil, health.Related{}, health.Options{}, time.Now())
		if st.Phase != health.Ready || st.Message != tt.want {
			t.Errorf("unchanged=%v: %s (%s), want Ready (%s)", tt.unchanged, st.Phase, st.Message, tt.want)
		}
	}
}
