package storetest

import (
	"encoding/base64"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/release"
)

// baseTime is a fixed time with nanoseconds, so that lost precision shows.
func baseTime() time.Time { return time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.UTC) }

// revision returns a fully populated revision of release name.
func revision(name string, number int, status release.Status) *release.Revision {
	deploy := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1",
		"kind":       "Deployment",
		"metadata":   map[string]any{"name": name, "namespace": "apps", "labels": map[string]any{"shipsafe.io/release": name}},
		"spec": map[string]any{
			"replicas": int64(3),
			"template": map[string]any{"spec": map[string]any{
				"containers": []any{map[string]any{"name": "app", "image": "local.test/naive:v1", "ports": []any{map[string]any{"containerPort": int64(8080)}}}},
			}},
		},
	}}
	cm := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata":   map[string]any{"name": name + "-config", "namespace": "apps"},
		"data":       map[string]any{"ratio": "0.5", "enabled": "true"},
	}}
	base := baseTime()
	return &release.Revision{
		Release:      name,
		Number:       number,
		Status:       status,
		Objects:      []*unstructured.Unstructured{deploy, cm},
		Created:      []release.ObjectRef{release.RefOf(cm)},
		Reason:       "deployment apps/" + name + ": container app: CrashLoopBackOff",
		Evidence:     []string{"Warning BackOff pod/" + name + "-1: back-off restarting", "fatal: no config"},
		RolledBackTo: number - 1,
		Source:       "-f k8s/",
		Holder:       "runner-7/pid 412",
		StartedAt:    base,
		UpdatedAt:    base.Add(time.Second),
		FinishedAt:   base.Add(2 * time.Second),
		Description:  "upgrade",
	}
}

// withBlob adds a ConfigMap holding n characters of incompressible text to rev.
func withBlob(rev *release.Revision, n int) *release.Revision {
	raw := make([]byte, n*3/4+3)
	rng := rand.New(rand.NewChaCha8([32]byte{byte(n)}))
	for i := range raw {
		raw[i] = byte(rng.Uint32())
	}
	blob := base64.StdEncoding.EncodeToString(raw)[:n]
	rev.Objects = append(rev.Objects, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata":   map[string]any{"name": rev.Release + "-blob", "namespace": "apps"},
		"data":       map[string]any{"blob": blob},
	}})
	return rev
}

// assertSame fails unless got records the same revision as want (StoreVersion aside),
// comparing JSON, and checks that integers in objects are still int64.
func assertSame(t testing.TB, got, want *release.Revision) {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatalf("marshal got: %v", err)
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatalf("marshal want: %v", err)
	}
	if string(g) != string(w) {
		t.Fatalf("stored revision differs\n got: %.2000s\nwant: %.2000s", g, w)
	}
	for _, o := range got.Objects {
		if o.GetKind() != "Deployment" {
			continue
		}
		if n, found, err := unstructured.NestedInt64(o.Object, "spec", "replicas"); err != nil || !found || n != 3 {
			t.Fatalf("replicas after a round trip: %v found=%v err=%v; want int64 3", n, found, err)
		}
	}
}

// assertSummary fails unless got is want, comparing JSON, and got has a StoreVersion.
func assertSummary(t testing.TB, got, want *release.Summary) {
	t.Helper()
	if got == nil || got.StoreVersion == "" {
		t.Fatalf("summary %+v has no StoreVersion", got)
	}
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatalf("marshal got: %v", err)
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatalf("marshal want: %v", err)
	}
	if string(g) != string(w) {
		t.Fatalf("summary differs\n got: %s\nwant: %s", g, w)
	}
}
