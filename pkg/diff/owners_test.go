package diff

import (
	"os"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// loadObject reads a YAML fixture.
func loadObject(t *testing.T, path string) *unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	obj := &unstructured.Unstructured{}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := obj.UnmarshalJSON(js); err != nil {
		t.Fatal(err)
	}
	return obj
}

// TestOwnerOf reads a Deployment captured from the cluster after `kubectl scale` and
// `kubectl set env` changed two fields shipsafe had applied.
func TestOwnerOf(t *testing.T) {
	t.Parallel()
	live := loadObject(t, "testdata/deployment-drifted.yaml")
	deployed := live.DeepCopy()
	if err := unstructured.SetNestedField(deployed.Object, int64(2), "spec", "replicas"); err != nil {
		t.Fatal(err)
	}
	containers, _, _ := unstructured.NestedSlice(deployed.Object, "spec", "template", "spec", "containers")
	containers[0].(map[string]any)["env"] = []any{map[string]any{"name": "VERSION", "value": "v1"}}
	containers[0].(map[string]any)["image"] = "other"
	if err := unstructured.SetNestedSlice(deployed.Object, containers, "spec", "template", "spec", "containers"); err != nil {
		t.Fatal(err)
	}
	mgrs := managersOf(live)
	changes := compareValues(clean(live).Object, clean(deployed).Object)
	got := map[string]string{}
	for _, c := range changes {
		o, ok := ownerOf(mgrs, c.steps, "shipsafe")
		if !ok {
			got[c.Path] = "(unknown)"
			continue
		}
		got[c.Path] = o.String()
	}
	want := map[string]string{
		".spec.replicas": "kubectl (Update of scale)",
		".spec.template.spec.containers[name=app].env[name=VERSION].value": "kubectl-set (Update, " +
			time.Date(2026, 11, 22, 0, 43, 18, 0, time.UTC).Format(time.RFC3339) + ")",
		// shipsafe owns the image: no one else changed it.
		".spec.template.spec.containers[name=app].image": "(unknown)",
	}
	if len(got) != len(want) {
		t.Fatalf("changes %v, want %v", got, want)
	}
	for path, w := range want {
		if got[path] != w {
			t.Errorf("%s changed by %q, want %q", path, got[path], w)
		}
	}
	// Without leaving shipsafe out, the image is shipsafe's.
	for _, c := range changes {
		if c.Path == ".spec.template.spec.containers[name=app].image" {
			if o, ok := ownerOf(mgrs, c.steps, ""); !ok || o.Manager != "shipsafe" || o.Operation != "Apply" {
				t.Errorf("image owner = %+v, %v; want shipsafe Apply", o, ok)
			}
		}
	}
}
