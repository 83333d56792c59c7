package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// largeRelease is a release of n labelled and annotated ConfigMaps and a LimitRange
// (an object with a spec and nothing to wait for). changes names the fields to give a
// new value: "data", "labels", "annotations", "spec".
type largeRelease struct {
	n       int
	changes []string
}

// changed is the object each field kind's change touches.
var changed = map[string]string{"data": "cm-003", "labels": "cm-005", "annotations": "cm-008"}

func (r largeRelease) docs() []string {
	docs := make([]string, 0, r.n+1)
	for i := range r.n {
		name := fmt.Sprintf("cm-%03d", i)
		data, tier, note := fmt.Sprint(i), "config", "kept"
		for _, c := range r.changes {
			if changed[c] != name {
				continue
			}
			switch c {
			case "data":
				data = "new"
			case "labels":
				tier = "new"
			case "annotations":
				note = "new"
			}
		}
		docs = append(docs, fmt.Sprintf(`apiVersion: v1
kind: ConfigMap
metadata:
  name: %s
  labels: {tier: %s}
  annotations: {example.com/note: %s}
data:
  index: %q`, name, tier, note, data))
	}
	max := "500m"
	if slices.Contains(r.changes, "spec") {
		max = "700m"
	}
	return append(docs, fmt.Sprintf(`apiVersion: v1
kind: LimitRange
metadata:
  name: limits
spec:
  limits:
  - type: Container
    max: {cpu: %s}`, max))
}

// deployJSON deploys docs as release "big" in ns with -o json and returns, from its
// result line (the run report), the objects it applied (those with an apply time), how
// many it did not, and its API requests.
func (e *env) deployJSON(t *testing.T, ctx context.Context, ns string, docs []string) (applied []string, unchanged int, requests int) {
	t.Helper()
	r := e.shipsafe(t, ctx, "-n", ns, "deploy", "big", "-o", "json", "-f", writeManifest(t, docs...))
	wantExit(t, r, 0)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	var res struct {
		Type    string `json:"type"`
		Objects []struct {
			Object struct {
				Kind, Namespace, Name string
			} `json:"object"`
			AppliedSeconds *float64 `json:"appliedSeconds"`
		} `json:"objects"`
		APIRequests int `json:"apiRequests"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil || res.Type != "result" {
		t.Fatalf("decode the deploy's result line (type %q): %v", res.Type, err)
	}
	for _, o := range res.Objects {
		if o.AppliedSeconds == nil {
			unchanged++
			continue
		}
		applied = append(applied, o.Object.Kind+" "+o.Object.Namespace+"/"+o.Object.Name)
	}
	slices.Sort(applied)
	return applied, unchanged, res.APIRequests
}

// TestNoOpDeployRepairsExactlyWhatChanged deploys a release of 300 objects, then changes
// some of them by hand (data, a label, an annotation, the LimitRange's spec) and deletes
// one: deploying the same manifests again applies exactly those five, says so, with
// few API requests, and puts each back. A deploy that changes one field of each kind
// applies exactly the changed objects, and the cluster holds every new value.
func TestNoOpDeployRepairsExactlyWhatChanged(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	const n = 299
	base := largeRelease{n: n}
	if applied, _, _ := e.deployJSON(t, ctx, ns, base.docs()); len(applied) != n+1 {
		t.Fatalf("install applied %d objects, want %d", len(applied), n+1)
	}
	if applied, unchanged, requests := e.deployJSON(t, ctx, ns, base.docs()); len(applied) != 0 || unchanged != n+1 || requests > 30 {
		t.Errorf("no-op deploy: applied %v, %d unchanged, %d API requests; want nothing applied, %d unchanged, at most 30 requests",
			applied, unchanged, requests, n+1)
	}

	// Hand edits, as kubectl edit makes them (imperative updates), and a deletion.
	cms := e.client.CoreV1().ConfigMaps(ns)
	edit := func(name string, change func(*corev1.ConfigMap)) {
		t.Helper()
		cm, err := cms.Get(ctx, name, metav1.GetOptions{})
		must(t, err)
		change(cm)
		_, err = cms.Update(ctx, cm, metav1.UpdateOptions{FieldManager: "kubectl-edit"})
		must(t, err)
	}
	edit("cm-010", func(cm *corev1.ConfigMap) { cm.Data["index"] = "by hand" })
	edit("cm-020", func(cm *corev1.ConfigMap) { cm.Labels["tier"] = "by-hand" })
	edit("cm-030", func(cm *corev1.ConfigMap) { cm.Annotations["example.com/note"] = "by hand" })
	must(t, cms.Delete(ctx, "cm-040", metav1.DeleteOptions{}))
	lr, err := e.client.CoreV1().LimitRanges(ns).Get(ctx, "limits", metav1.GetOptions{})
	must(t, err)
	lr.Spec.Limits[0].Max[corev1.ResourceCPU] = resource.MustParse("900m")
	_, err = e.client.CoreV1().LimitRanges(ns).Update(ctx, lr, metav1.UpdateOptions{FieldManager: "kubectl-edit"})
	must(t, err)

	applied, unchanged, requests := e.deployJSON(t, ctx, ns, base.docs())
	want := []string{"ConfigMap " + ns + "/cm-010", "ConfigMap " + ns + "/cm-020", "ConfigMap " + ns + "/cm-030",
		"ConfigMap " + ns + "/cm-040", "LimitRange " + ns + "/limits"}
	// Each hand-edited object costs a dry run and an apply, each answered with a
	// conflict, a read and a forced apply: 6 requests.
	if !slices.Equal(applied, want) || unchanged != n+1-len(want) || requests > 50 {
		t.Errorf("deploy after hand edits: applied %v, %d unchanged, %d API requests; want %v, %d unchanged, at most 50 requests",
			applied, unchanged, requests, want, n+1-len(want))
	}
	wantLive(t, ctx, e, ns, map[string][3]string{
		"cm-010": {"10", "config", "kept"}, "cm-020": {"20", "config", "kept"},
		"cm-030": {"30", "config", "kept"}, "cm-040": {"40", "config", "kept"},
	}, "500m")

	// Each field kind changed in the manifests, one more per deploy: exactly the object
	// changed is applied, and no skipped object is left stale.
	live := map[string][3]string{"cm-003": {"3", "config", "kept"}, "cm-005": {"5", "config", "kept"}, "cm-008": {"8", "config", "kept"}}
	cpu := "500m"
	var kinds []string
	for _, kind := range []string{"data", "labels", "annotations", "spec"} {
		kinds = append(kinds, kind)
		applied, _, _ := e.deployJSON(t, ctx, ns, largeRelease{n: n, changes: kinds}.docs())
		wantObj := "LimitRange " + ns + "/limits"
		if kind != "spec" {
			wantObj = "ConfigMap " + ns + "/" + changed[kind]
		}
		if !slices.Equal(applied, []string{wantObj}) {
			t.Errorf("deploy changing %s: applied %v, want only %s", kind, applied, wantObj)
		}
		switch kind {
		case "data":
			live["cm-003"] = [3]string{"new", "config", "kept"}
		case "labels":
			live["cm-005"] = [3]string{"5", "new", "kept"}
		case "annotations":
			live["cm-008"] = [3]string{"8", "config", "new"}
		case "spec":
			cpu = "700m"
		}
		wantLive(t, ctx, e, ns, live, cpu)
	}
	if applied, unchanged, _ := e.deployJSON(t, ctx, ns, largeRelease{n: n, changes: kinds}.docs()); len(applied) != 0 || unchanged != n+1 {
		t.Errorf("no-op deploy at the end: applied %v, %d unchanged; want nothing applied, %d unchanged", applied, unchanged, n+1)
	}
}

// wantLive checks the named ConfigMaps' (index, tier label, note annotation) and the
// LimitRange's max cpu.
func wantLive(t *testing.T, ctx context.Context, e *env, ns string, cms map[string][3]string, cpu string) {
	t.Helper()
	for name, want := range cms {
		cm, err := e.client.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Errorf("get configmap %s: %v", name, err)
			continue
		}
		if got := [3]string{cm.Data["index"], cm.Labels["tier"], cm.Annotations["example.com/note"]}; got != want {
			t.Errorf("configmap %s has (index, tier, note) %v, want %v", name, got, want)
		}
	}
	lr, err := e.client.CoreV1().LimitRanges(ns).Get(ctx, "limits", metav1.GetOptions{})
	must(t, err)
	if got := lr.Spec.Limits[0].Max[corev1.ResourceCPU]; got.String() != cpu {
		t.Errorf("limitrange max cpu is %s, want %s", got.String(), cpu)
	}
}
