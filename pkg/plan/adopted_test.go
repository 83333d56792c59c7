package plan

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/release"
)

func TestChangedSinceAdopted(t *testing.T) {
	t.Parallel()
	rel := manifest.Owner{Namespace: "prod", Name: "web"}
	obj := func(rv string, generation int64, labels map[string]string) *unstructured.Unstructured {
		o := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "apps/v1", "kind": "Deployment"}}
		o.SetNamespace("prod")
		o.SetName("web")
		o.SetUID(types.UID("u1"))
		o.SetResourceVersion(rv)
		o.SetGeneration(generation)
		o.SetLabels(labels)
		o.SetAnnotations(map[string]string{manifest.ReleaseNamespaceAnnotation: "prod"})
		return o
	}
	ours := map[string]string{manifest.ReleaseLabel: "web", "app": "web"}
	desired := obj("", 0, ours)
	applied := release.AppliedState{ResourceVersion: "10", Generation: 2, UID: "u1"}
	tests := []struct {
		name     string
		live     *unstructured.Unstructured
		recorded bool
		want     string // part of the reason, "" for none
	}{
		{"as applied", obj("10", 2, ours), true, ""},
		{"only its status changed", obj("14", 2, ours), true, ""},
		{"its spec changed", obj("15", 3, ours), true, "changed by someone else"},
		{"one of its applied labels changed", obj("16", 2, map[string]string{manifest.ReleaseLabel: "web", "app": "other"}), true, "changed by someone else"},
		{"taken by another release", obj("17", 2, map[string]string{manifest.ReleaseLabel: "api"}), true, "belongs to release prod/api now"},
		{"no recorded apply, still ours", obj("18", 5, ours), false, ""},
		{"no recorded apply, not ours", obj("19", 5, map[string]string{"app": "web"}), false, "belongs to no shipsafe release now"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := ChangedSinceAdopted(tt.live, desired, applied, tt.recorded, rel)
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("ChangedSinceAdopted = %q, want %q", got, tt.want)
			}
		})
	}
}
