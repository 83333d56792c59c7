package plan

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/release"
)

// TestUnchanged decides, for a Deployment (a kind with generations) and a ConfigMap
// (none), which live states let a deploy skip the apply.
func TestUnchanged(t *testing.T) {
	deploy := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "web", "namespace": "ns",
			"labels": map[string]any{"shipsafe.io/release": "rel"}, "annotations": map[string]any{"team": "a"}},
		"spec": map[string]any{"replicas": int64(2)},
	}}
	config := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "cfg", "namespace": "ns"}, "data": map[string]any{"a": "1"},
	}}
	dd, _ := Digest(deploy)
	cd, _ := Digest(config)
	last := &release.Revision{Applied: map[string]release.AppliedState{
		manifest.KeyOf(deploy).String(): {Digest: dd, ResourceVersion: "10", Generation: 3, UID: "u1"},
		manifest.KeyOf(config).String(): {Digest: cd, ResourceVersion: "11"},
	}}
	// liveDeploy is the Deployment as the apply left it, changed by edit.
	liveDeploy := func(edit func(m *metav1.ObjectMeta)) *metav1.ObjectMeta {
		m := &metav1.ObjectMeta{ResourceVersion: "10", Generation: 3, UID: "u1",
			Labels: map[string]string{"shipsafe.io/release": "rel"}, Annotations: map[string]string{"team": "a"}}
		edit(m)
		return m
	}
	tests := []struct {
		name       string
		deploy     *metav1.ObjectMeta
		config     *metav1.ObjectMeta
		wantDeploy bool
		wantConfig bool
	}{
		{"as applied", liveDeploy(func(*metav1.ObjectMeta) {}), &metav1.ObjectMeta{ResourceVersion: "11"}, true, true},
		{"status and a controller's annotation written", liveDeploy(func(m *metav1.ObjectMeta) {
			m.ResourceVersion = "15"
			m.Annotations["deployment.kubernetes.io/revision"] = "3"
		}), &metav1.ObjectMeta{ResourceVersion: "12"}, true, false},
		{"spec edited (generation)", liveDeploy(func(m *metav1.ObjectMeta) { m.ResourceVersion, m.Generation = "15", 4 }), nil, false, false},
		{"label edited", liveDeploy(func(m *metav1.ObjectMeta) { m.ResourceVersion, m.Labels["shipsafe.io/release"] = "15", "other" }), nil, false, false},
		{"annotation removed", liveDeploy(func(m *metav1.ObjectMeta) { m.ResourceVersion, m.Annotations = "15", nil }), nil, false, false},
		{"deleted and re-created", liveDeploy(func(m *metav1.ObjectMeta) { m.ResourceVersion, m.UID = "15", "u2" }), nil, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			existing := map[manifest.Key]*metav1.ObjectMeta{manifest.KeyOf(deploy): tt.deploy}
			if tt.config != nil {
				existing[manifest.KeyOf(config)] = tt.config
			}
			got, err := Unchanged([]*unstructured.Unstructured{deploy, config}, last, existing)
			if err != nil {
				t.Fatal(err)
			}
			_, skipDeploy := got[manifest.KeyOf(deploy).String()]
			_, skipConfig := got[manifest.KeyOf(config).String()]
			if skipDeploy != tt.wantDeploy || skipConfig != tt.wantConfig {
				t.Errorf("unchanged: Deployment %v, ConfigMap %v; want %v, %v", skipDeploy, skipConfig, tt.wantDeploy, tt.wantConfig)
			}
			if s, ok := got[manifest.KeyOf(deploy).String()]; ok && (s.ResourceVersion != tt.deploy.ResourceVersion || s.Generation != 3 || s.UID != "u1") {
				t.Errorf("recorded %+v; want the live resourceVersion %s, generation 3, uid u1", s, tt.deploy.ResourceVersion)
			}
		})
	}
}

// TestDigestIsUnchangedByTheFasterEncoder: Digest renders objects with objjson, and
// gives what it gave when it used encoding/json, so digests recorded by earlier
// revisions still match and no-op deploys stay no-ops across the upgrade.
func TestDigestIsUnchangedByTheFasterEncoder(t *testing.T) {
	t.Parallel()
	objs := []*unstructured.Unstructured{
		{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "a", "namespace": "x"},
			"data": map[string]any{"html": "<b>&amp;</b>", "unicode": "é \u2028", "n": "1"}}},
		{Object: map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "w", "labels": map[string]any{"app": "w"}},
			"spec": map[string]any{"replicas": int64(3), "ratio": 0.25, "tiny": 1e-9, "huge": 1e21, "list": []any{int64(1), "two", nil, true}}}},
	}
	for _, o := range objs {
		data, err := json.Marshal(o.Object)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		want := base64.RawStdEncoding.EncodeToString(sum[:16])
		if got, err := Digest(o); err != nil || got != want {
			t.Errorf("Digest(%s) = %q, %v; encoding/json gives %q", o.GetName(), got, err, want)
		}
	}
}
