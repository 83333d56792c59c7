package plan

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/release"
)

func cm(name string) *unstructured.Unstructured {
	o := &unstructured.Unstructured{}
	o.SetAPIVersion("v1")
	o.SetKind("ConfigMap")
	o.SetNamespace("prod")
	o.SetName(name)
	return o
}

func names(objs []*unstructured.Unstructured) string {
	var out []string
	for _, o := range objs {
		out = append(out, o.GetName())
	}
	return strings.Join(out, " ")
}

func created(names ...string) []release.ObjectRef {
	var out []release.ObjectRef
	for _, n := range names {
		out = append(out, release.RefOf(cm(n)))
	}
	return out
}

func TestLeftBehind(t *testing.T) {
	t.Parallel()
	revs := []*release.Revision{
		{Number: 1, Status: release.StatusFailed, Created: created("old")},
		{Number: 2, Status: release.StatusDeployed, Objects: []*unstructured.Unstructured{cm("a")}},
		{Number: 3, Status: release.StatusFailed, Created: created("x", "y")},
		{Number: 4, Status: release.StatusRolledBack, Created: created("restored")},
		{Number: 5, Status: release.StatusFailed, Created: created("y", "z")},
	}
	tests := []struct {
		name string
		last *release.Revision
		want string
	}{
		{"since the last deployed revision, each once", revs[1], "x y z"},
		{"every failed revision without one", nil, "old x y z"},
	}
	for _, tt := range tests {
		if got := names(LeftBehind(revs, tt.last)); got != tt.want {
			t.Errorf("%s: LeftBehind = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestLeftoversKeepOnlyWhatIsStillTheRelease(t *testing.T) {
	t.Parallel()
	shells := []*unstructured.Unstructured{cm("ours"), cm("gone"), cm("taken"), cm("unlabelled"), cm("elsewhere")}
	existing := map[manifest.Key]*metav1.ObjectMeta{
		manifest.KeyOf(cm("ours")):       {Labels: map[string]string{manifest.ReleaseLabel: "web"}, Annotations: map[string]string{manifest.ReleaseNamespaceAnnotation: "prod"}},
		manifest.KeyOf(cm("elsewhere")):  {Labels: map[string]string{manifest.ReleaseLabel: "web"}, Annotations: map[string]string{manifest.ReleaseNamespaceAnnotation: "staging"}},
		manifest.KeyOf(cm("taken")):      {Labels: map[string]string{manifest.ReleaseLabel: "other"}},
		manifest.KeyOf(cm("unlabelled")): {},
	}
	if got := names(Leftovers(shells, existing, manifest.Owner{Namespace: "prod", Name: "web"})); got != "ours" {
		t.Errorf("Leftovers = %q, want %q", got, "ours")
	}
}

func TestPrune(t *testing.T) {
	t.Parallel()
	last := &release.Revision{Objects: []*unstructured.Unstructured{cm("kept"), cm("dropped"), cm("also-left")}}
	tests := []struct {
		name      string
		last      *release.Revision
		leftovers []*unstructured.Unstructured
		objs      []*unstructured.Unstructured
		want      string
	}{
		{"what the new objects lack, last revision first, each once", last,
			[]*unstructured.Unstructured{cm("also-left"), cm("left"), cm("kept")},
			[]*unstructured.Unstructured{cm("kept"), cm("new")}, "dropped also-left left"},
		{"nothing deployed yet", nil, []*unstructured.Unstructured{cm("left")}, []*unstructured.Unstructured{cm("new")}, "left"},
		{"nothing to prune", last, nil, last.Objects, ""},
	}
	for _, tt := range tests {
		if got := names(Prune(tt.last, tt.leftovers, tt.objs)); got != tt.want {
			t.Errorf("%s: Prune = %q, want %q", tt.name, got, tt.want)
		}
	}
}
