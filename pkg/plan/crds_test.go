package plan

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/release"
)

func object(apiVersion, kind, namespace, name string) *unstructured.Unstructured {
	return release.ObjectRef{APIVersion: apiVersion, Kind: kind, Namespace: namespace, Name: name}.Shell()
}

func TestChartCRDsAndLeaveCRDs(t *testing.T) {
	t.Parallel()
	a := object("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "a.example.com")
	b := object("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "b.example.com")
	plain := object("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "plain.example.com")
	cm := object("v1", "ConfigMap", "prod", "cm")
	crds := ChartCRDs(nil, &release.Chart{CRDs: []release.ObjectRef{
		release.RefOf(a),
		// A namespace written on a CRD does not matter; a ConfigMap in crds/ is no CRD.
		{APIVersion: "apiextensions.k8s.io/v1", Kind: "CustomResourceDefinition", Namespace: "prod", Name: "b.example.com"},
		release.RefOf(cm),
	}})
	if len(crds) != 2 || !crds[manifest.KeyOf(a)] || !crds[manifest.KeyOf(b)] {
		t.Fatalf("ChartCRDs = %v, want a and b", crds)
	}
	objs := []*unstructured.Unstructured{a, b, plain, cm}
	existing := map[manifest.Key]*metav1.ObjectMeta{
		manifest.KeyOf(a): {}, manifest.KeyOf(plain): {}, manifest.KeyOf(cm): {},
	}
	keep, left := LeaveCRDs(objs, crds, existing)
	// b is absent (created); plain exists but is no chart CRD (applied like any object).
	if got := names(keep) + " | " + names(left); got != "b.example.com plain.example.com cm | a.example.com" {
		t.Errorf("LeaveCRDs = %q", got)
	}
	if got := names(Without(objs, crds)); got != "plain.example.com cm" {
		t.Errorf("Without = %q", got)
	}
}
