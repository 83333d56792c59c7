package health

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"
)

// t0 is the moment fixture timestamps are written around.
var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// loadFixture reads testdata/<name>: the first YAML document is the object under test,
// the others (Pods, ReplicaSets, EndpointSlices, ControllerRevisions) its Related.
func loadFixture(t *testing.T, name string) (*unstructured.Unstructured, Related) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	var subject *unstructured.Unstructured
	var rel Related
	for i, doc := range strings.Split(string(data), "\n---\n") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		// Decode as the dynamic client does (JSON numbers become int64).
		js, err := yaml.YAMLToJSON([]byte(doc))
		if err != nil {
			t.Fatalf("%s document %d: %v", name, i, err)
		}
		obj := &unstructured.Unstructured{}
		if err := obj.UnmarshalJSON(js); err != nil {
			t.Fatalf("%s document %d: %v", name, i, err)
		}
		if subject == nil {
			subject = obj
			continue
		}
		switch obj.GetKind() {
		case "Pod":
			rel.Pods = append(rel.Pods, typed[corev1.Pod](t, obj))
		case "ReplicaSet":
			rel.ReplicaSets = append(rel.ReplicaSets, typed[appsv1.ReplicaSet](t, obj))
		case "EndpointSlice":
			rel.EndpointSlices = append(rel.EndpointSlices, typed[discoveryv1.EndpointSlice](t, obj))
		case "ControllerRevision":
			rel.ControllerRevisions = append(rel.ControllerRevisions, typed[appsv1.ControllerRevision](t, obj))
		default:
			t.Fatalf("%s document %d: unexpected related kind %q", name, i, obj.GetKind())
		}
	}
	if subject == nil {
		t.Fatalf("%s: no object", name)
	}
	return subject, rel
}

func typed[T any](t *testing.T, obj *unstructured.Unstructured) *T {
	t.Helper()
	out := new(T)
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(obj.Object, out, true); err != nil {
		t.Fatalf("convert %s %s: %v", obj.GetKind(), obj.GetName(), err)
	}
	return out
}

// want is what a table row expects of a Status. Reason and culprit ("pod/container", or
// empty for none) are always compared; message is a substring; counts and recheckAt are
// compared when set.
type want struct {
	phase   Phase
	reason  string
	culprit string
	message string
	counts  *[2]int32
	recheck time.Duration
}

// row is one table-test case: the fixture, the moment it is judged at (t0 + at), options.
type row struct {
	name    string
	fixture string
	at      time.Duration
	opts    Options
	// scaleUps, when set, is Related.NodeScaleUps (what the tracker reads from events).
	scaleUps map[types.UID]string
	want     want
}

func counts(ready, desired int32) *[2]int32 { return &[2]int32{ready, desired} }

func checkRow(t *testing.T, tc row, got Status) {
	t.Helper()
	w := tc.want
	if got.Phase != w.phase || got.Reason != w.reason {
		t.Errorf("got %s/%q (%s), want %s/%q", got.Phase, got.Reason, got.Message, w.phase, w.reason)
	}
	culprit := ""
	if got.Culprit != nil {
		culprit = got.Culprit.Pod + "/" + got.Culprit.Container
	}
	if culprit != w.culprit {
		t.Errorf("culprit %q, want %q", culprit, w.culprit)
	}
	if !strings.Contains(got.Message, w.message) {
		t.Errorf("message %q does not contain %q", got.Message, w.message)
	}
	if w.counts != nil && (got.Ready != w.counts[0] || got.Desired != w.counts[1]) {
		t.Errorf("counts %d/%d, want %d/%d", got.Ready, got.Desired, w.counts[0], w.counts[1])
	}
	if w.recheck != 0 && !got.RecheckAt.Equal(t0.Add(w.recheck)) {
		t.Errorf("recheckAt %v, want t0+%s", got.RecheckAt, w.recheck)
	}
}

func runRows(t *testing.T, rows []row) {
	t.Helper()
	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			obj, rel := loadFixture(t, tc.fixture)
			rel.NodeScaleUps = tc.scaleUps
			checkRow(t, tc, Check(obj, rel, tc.opts, t0.Add(tc.at)))
		})
	}
}
