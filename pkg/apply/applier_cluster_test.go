package apply_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/shipsafe/shipsafe/internal/clustertest"
	"github.com/shipsafe/shipsafe/pkg/apply"
	"github.com/shipsafe/shipsafe/pkg/kube"
	"github.com/shipsafe/shipsafe/pkg/manifest"
)

// env is an Applier on the real cluster with a fresh namespace.
type env struct {
	clients *kube.Clients
	applier *apply.Applier
	ns      string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	clients, err := kube.New(clustertest.Config(t), "")
	if err != nil {
		t.Fatal(err)
	}
	ns := clustertest.Namespace(t, clients.Typed)
	return &env{clients: clients, applier: apply.New(clients.Dynamic, clients.Metadata, clients.Mapper, 4), ns: ns}
}

func (e *env) configMap(name, value string) *unstructured.Unstructured {
	o := &unstructured.Unstructured{Object: map[string]any{"data": map[string]any{"v": value}}}
	o.SetAPIVersion("v1")
	o.SetKind("ConfigMap")
	o.SetNamespace(e.ns)
	o.SetName(name)
	if err := manifest.SetOwner([]*unstructured.Unstructured{o}, e.owner()); err != nil {
		panic(err)
	}
	return o
}

// owner is the release the test's objects belong to.
func (e *env) owner() manifest.Owner { return manifest.Owner{Namespace: e.ns, Name: "web"} }

// value returns the live ConfigMap's data.v, or "absent".
func (e *env) value(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	live, err := e.applier.Get(ctx, schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, e.ns, name)
	if err != nil {
		t.Fatal(err)
	}
	if live == nil {
		return "absent"
	}
	v, _, _ := unstructured.NestedString(live.Object, "data", "v")
	return v
}

func names(objs []*unstructured.Unstructured) string {
	var out []string
	for _, o := range objs {
		out = append(out, o.GetName())
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

// TestApplyDryRunAndDelete applies, validates and deletes ConfigMaps on the real cluster:
// a dry run persists nothing and reports every invalid object; apply persists with the
// shipsafe field manager in parallel and reports every failure; Existing and Get see what
// exists; Delete removes what exists and ignores what does not.
func TestApplyDryRunAndDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var objs []*unstructured.Unstructured
	for i := range 20 {
		objs = append(objs, e.configMap(fmt.Sprintf("cm-%02d", i), "1"))
	}
	bad := []*unstructured.Unstructured{e.configMap("Bad_One", "1"), e.configMap("bad..two", "1")}

	// A dry run validates everything and persists nothing.
	answers, err := e.applier.Apply(ctx, append(slices.Clone(objs), bad...), apply.Options{DryRun: true})
	if err == nil || !apply.IsInput(err) {
		t.Fatalf("dry run with invalid names: %v, want an input error", err)
	}
	for _, want := range []string{"validate ConfigMap " + e.ns + "/Bad_One: invalid:", "validate ConfigMap " + e.ns + "/bad..two: invalid:", "fix the manifest"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("dry-run error lacks %q:\n%v", want, err)
		}
	}
	if len(answers) != len(objs) {
		t.Errorf("dry run answered for %d objects, want the %d valid ones", len(answers), len(objs))
	}
	if got := e.value(t, ctx, "cm-00"); got != "absent" {
		t.Fatalf("a dry run created cm-00 (%s)", got)
	}

	// Apply persists the valid objects, with the shipsafe manager, and reports both failures.
	var mu sync.Mutex
	var reported []*unstructured.Unstructured
	applied, err := e.applier.Apply(ctx, append(slices.Clone(objs), bad...), apply.Options{OnApplied: func(o *unstructured.Unstructured) {
		mu.Lock()
		defer mu.Unlock()
		reported = append(reported, o)
	}})
	if err == nil || strings.Count(err.Error(), "apply ConfigMap") != 2 {
		t.Fatalf("apply with two invalid objects: %v, want both reported", err)
	}
	if names(applied) != names(objs) || names(reported) != names(objs) {
		t.Errorf("applied %q, reported %q; want the %d valid objects", names(applied), names(reported), len(objs))
	}
	if applied[0].GetResourceVersion() == "" || !slices.ContainsFunc(applied[0].GetManagedFields(), func(m metav1.ManagedFieldsEntry) bool {
		return m.Manager == apply.FieldManager && m.Operation == metav1.ManagedFieldsOperationApply
	}) {
		t.Errorf("the answer lacks a resourceVersion or shipsafe's apply entry: %v", applied[0].GetManagedFields())
	}

	// Existing lists what exists, by key.
	existing, err := e.applier.Existing(ctx, append(slices.Clone(objs), e.configMap("never", "1")))
	if err != nil {
		t.Fatal(err)
	}
	if len(existing) != len(objs) || existing[manifest.KeyOf(e.configMap("never", ""))] != nil {
		t.Errorf("Existing found %d objects, want the %d applied", len(existing), len(objs))
	}

	// Delete removes what exists; the absent object is no error and not reported.
	deleted, err := e.applier.Delete(ctx, append(slices.Clone(objs[:5]), e.configMap("never", "1")), apply.DeleteOptions{Owner: e.owner()})
	if err != nil {
		t.Fatal(err)
	}
	if names(deleted) != names(objs[:5]) {
		t.Errorf("deleted %q, want %q", names(deleted), names(objs[:5]))
	}
	if got := e.value(t, ctx, "cm-00"); got != "absent" {
		t.Errorf("cm-00 after delete: %s", got)
	}
	if got := e.value(t, ctx, "cm-05"); got != "1" {
		t.Errorf("cm-05 was not to be deleted: %s", got)
	}
}

// TestApplyConflicts checks the two kinds of conflict on the real cluster: a field changed
// by hand (an imperative update) is taken back and reported; a field another server-side
// apply manager owns is an input error naming it, and Force takes it.
func TestApplyConflicts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := e.applier.Apply(ctx, []*unstructured.Unstructured{e.configMap("edited", "1"), e.configMap("shared", "1")}, apply.Options{}); err != nil {
		t.Fatal(err)
	}

	// By hand: an update with kubectl edit's manager.
	cms := e.clients.Typed.CoreV1().ConfigMaps(e.ns)
	cm, err := cms.Get(ctx, "edited", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm.Data["v"] = "by hand"
	if _, err := cms.Update(ctx, cm, metav1.UpdateOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	var took []apply.Takeover
	if _, err := e.applier.Apply(ctx, []*unstructured.Unstructured{e.configMap("edited", "1")}, apply.Options{
		OnTakeover: func(_ manifest.Key, t apply.Takeover) { took = append(took, t) },
	}); err != nil {
		t.Fatalf("apply over a hand edit: %v", err)
	}
	if len(took) != 1 || strings.Join(took[0].Fields, ",") != ".data.v" || strings.Join(took[0].Managers, ",") != "kubectl-edit" {
		t.Errorf("takeover reported %+v, want .data.v from kubectl-edit", took)
	}
	if got := e.value(t, ctx, "edited"); got != "1" {
		t.Errorf("hand edit not taken back: %s", got)
	}

	// Another tool's server-side apply.
	patch := fmt.Sprintf(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"shared","namespace":%q},"data":{"v":"tool"}}`, e.ns)
	force := true
	if _, err := cms.Patch(ctx, "shared", types.ApplyPatchType, []byte(patch), metav1.PatchOptions{FieldManager: "other-tool", Force: &force}); err != nil {
		t.Fatal(err)
	}
	_, err = e.applier.Apply(ctx, []*unstructured.Unstructured{e.configMap("shared", "2")}, apply.Options{})
	conflicts, ok := apply.Conflicts(err)
	if !ok || !apply.IsInput(err) || len(conflicts) != 1 || conflicts[0].Path != ".data.v" || conflicts[0].Manager != "other-tool" {
		t.Fatalf("apply over another tool's field: %v (conflicts %+v), want a conflict on .data.v with other-tool", err, conflicts)
	}
	if !strings.Contains(err.Error(), "re-run with --force-conflicts") {
		t.Errorf("conflict error says nothing to do: %v", err)
	}
	if _, err := e.applier.Apply(ctx, []*unstructured.Unstructured{e.configMap("shared", "2")}, apply.Options{Force: true}); err != nil {
		t.Fatalf("forced apply: %v", err)
	}
	if got := e.value(t, ctx, "shared"); got != "2" {
		t.Errorf("forced apply left %s", got)
	}
}

// TestApplyUnknownKindAndMissingNamespace checks two input errors the cluster reports.
func TestApplyUnknownKindAndMissingNamespace(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	widget := &unstructured.Unstructured{}
	widget.SetAPIVersion("example.shipsafe.io/v1")
	widget.SetKind("Widget")
	widget.SetNamespace(e.ns)
	widget.SetName("w")
	_, err := e.applier.Apply(ctx, []*unstructured.Unstructured{widget}, apply.Options{DryRun: true})
	if !errors.Is(err, apply.ErrUnknownKind) || !apply.IsInput(err) {
		t.Errorf("unknown kind: %v, want ErrUnknownKind", err)
	}
	elsewhere := e.configMap("x", "1")
	elsewhere.SetNamespace(e.ns + "-missing")
	_, err = e.applier.Apply(ctx, []*unstructured.Unstructured{elsewhere}, apply.Options{})
	if err == nil || !apply.IsInput(err) || !strings.Contains(err.Error(), "does not exist; create it or add a Namespace object") {
		t.Errorf("missing namespace: %v", err)
	}
	if _, err := e.clients.Typed.CoreV1().Namespaces().Get(ctx, e.ns+"-missing", metav1.GetOptions{}); err == nil {
		t.Error("apply created the missing namespace")
	}
}
