package deploy_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/apply"
	"github.com/shipsafe/shipsafe/pkg/deploy"
	"github.com/shipsafe/shipsafe/pkg/deploy/deploytest"
	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/track"
)

// handMade is ConfigMap name in ns with value v, made by hand: labels and annotations
// of its own, no release.
func handMade(name, v string) *unstructured.Unstructured {
	o := deploytest.Object("v1", "ConfigMap", ns, name, map[string]any{"v": v})
	o.SetLabels(map[string]string{"team": "payments"})
	o.SetAnnotations(map[string]string{"note": "made by hand"})
	return o
}

// failTrackingOf makes e's next tracking fail on ConfigMap name, after during (nil: none)
// ran; the restore's tracking finds everything ready.
func failTrackingOf(e *deploytest.Env, name string, during func()) {
	e.Tracker.RunFunc = func(_ context.Context, objs []*unstructured.Unstructured, _ func(track.Event)) (track.Result, error) {
		e.Tracker.RunFunc = nil
		if during != nil {
			during()
		}
		return deploytest.Failed(objs, key(name), "CrashLoopBackOff", "exit 1"), nil
	}
}

// wantHandMade checks that ConfigMap name is live as handMade(name, v) made it: value,
// labels and annotations, no release ownership.
func wantHandMade(t *testing.T, e *deploytest.Env, name, v string) {
	t.Helper()
	o := e.Cluster.Live(key(name))
	if o == nil {
		t.Fatalf("ConfigMap %s is gone", name)
	}
	want := handMade(name, v)
	got, _, _ := unstructured.NestedString(o.Object, "data", "v")
	if got != v || !maps.Equal(o.GetLabels(), want.GetLabels()) || !maps.Equal(o.GetAnnotations(), want.GetAnnotations()) {
		t.Errorf("ConfigMap %s: v=%q labels %v annotations %v; want as made by hand: v=%q labels %v annotations %v",
			name, got, o.GetLabels(), o.GetAnnotations(), v, want.GetLabels(), want.GetAnnotations())
	}
}

// TestFailedAdoptionIsUndone: the objects a failed or interrupted revision adopted go back
// as they were before it (value, labels, annotations, no ownership), unless someone
// changed them since; a successful one keeps no prior state.
func TestFailedAdoptionIsUndone(t *testing.T) {
	t.Parallel()
	adopt := deploy.RunOptions{Adopt: true}
	tests := []struct {
		name  string
		revs  []*release.Revision
		extra []*unstructured.Unstructured
		objs  []*unstructured.Unstructured
		opts  deploy.RunOptions
		setup func(e *deploytest.Env)
		// want is the outcome, history and live objects after; handMade names the
		// ConfigMaps that must be as made by hand, with their value; warning is part
		// of a Warning event; restored lists what was put back.
		want, wantHistory, wantLive, warning string
		handMade                             map[string]string
		restored                             []string
	}{
		{
			name: "failed install: adopted put back, created deleted", extra: []*unstructured.Unstructured{handMade("h", "by hand")},
			objs: []*unstructured.Unstructured{cm("h", "1"), cm("c", "1")}, opts: adopt,
			setup: func(e *deploytest.Env) { failTrackingOf(e, "c", nil) },
			want:  "restored", wantHistory: "1:failed", wantLive: "h=by hand", handMade: map[string]string{"h": "by hand"}, restored: []string{"h"},
		},
		{
			name: "failed upgrade: rolled back, adopted put back", revs: v1(), extra: []*unstructured.Unstructured{handMade("h", "by hand")},
			objs: []*unstructured.Unstructured{cm("a", "2"), cm("b", "1"), cm("h", "2")}, opts: adopt,
			setup: func(e *deploytest.Env) { failTrackingOf(e, "a", nil) },
			want:  "rolled back to 1", wantHistory: "1:deployed 2:rolled-back", wantLive: "a=1 b=1 h=by hand",
			handMade: map[string]string{"h": "by hand"}, restored: []string{"h"},
		},
		{
			name: "apply fails after the adopted one: put back", extra: []*unstructured.Unstructured{handMade("h", "by hand")},
			objs: []*unstructured.Unstructured{cm("h", "1"), cm("c", "1")}, opts: adopt,
			setup: func(e *deploytest.Env) { failApplyOf(e, "c") },
			want:  "restored", wantHistory: "1:failed", wantLive: "h=by hand", handMade: map[string]string{"h": "by hand"}, restored: []string{"h"},
		},
		{
			name: "apply of the adopted one fails: nothing to put back", extra: []*unstructured.Unstructured{handMade("h", "by hand")},
			objs: []*unstructured.Unstructured{cm("h", "1")}, opts: adopt,
			setup: func(e *deploytest.Env) { failApplyOf(e, "h") },
			want:  "restored", wantHistory: "1:failed", wantLive: "h=by hand", handMade: map[string]string{"h": "by hand"},
		},
		{
			name: "changed by someone else since adoption: left, with a warning", extra: []*unstructured.Unstructured{handMade("h", "by hand")},
			objs: []*unstructured.Unstructured{cm("h", "1")}, opts: adopt,
			setup: func(e *deploytest.Env) {
				failTrackingOf(e, "h", func() {
					edited := e.Cluster.Live(key("h"))
					_ = unstructured.SetNestedField(edited.Object, "edited", "data", "v")
					e.Cluster.Put(edited)
				})
			},
			want: "restored", wantHistory: "1:failed", wantLive: "h=edited", warning: "ConfigMap prod/h, adopted by revision 1: changed by someone else",
		},
		{
			name: "taken by another release since adoption: left, with a warning", extra: []*unstructured.Unstructured{handMade("h", "by hand")},
			objs: []*unstructured.Unstructured{cm("h", "1")}, opts: adopt,
			setup: func(e *deploytest.Env) {
				failTrackingOf(e, "h", func() {
					taken := e.Cluster.Live(key("h"))
					taken.SetLabels(map[string]string{manifest.ReleaseLabel: "other"})
					taken.SetAnnotations(map[string]string{manifest.ReleaseNamespaceAnnotation: ns})
					e.Cluster.Put(taken)
				})
			},
			want: "restored", wantHistory: "1:failed", wantLive: "h=1", warning: "belongs to release prod/other now",
		},
		{
			name: "success: adopted, nothing put back", extra: []*unstructured.Unstructured{handMade("h", "by hand")},
			objs: []*unstructured.Unstructured{cm("h", "1")}, opts: adopt,
			want: "ok", wantHistory: "1:deployed", wantLive: "h=1",
		},
		{
			name: "interrupted adopting revision: the next deploy puts back what it adopted", objs: []*unstructured.Unstructured{cm("a", "3")},
			revs: []*release.Revision{{Number: 1, Status: release.StatusPending, Holder: "dead-runner",
				Objects: []*unstructured.Unstructured{cm("h", "1")}, Adopted: []*unstructured.Unstructured{prior(handMade("h", "by hand"), "1")},
				Applied: map[string]release.AppliedState{key("h").String(): {ResourceVersion: "2"}}}},
			extra: []*unstructured.Unstructured{handMade("h", "by hand"), adopted(cm("h", "1"))},
			want:  "ok", wantHistory: "1:failed 2:deployed", wantLive: "a=3 h=by hand", handMade: map[string]string{"h": "by hand"}, restored: []string{"h"},
			warning: `revision 1 was left pending by "dead-runner"`,
		},
		{
			name: "interrupted during its apply (no applied state): still ours, put back", objs: []*unstructured.Unstructured{cm("a", "3")},
			revs: []*release.Revision{{Number: 1, Status: release.StatusPending, Holder: "dead-runner",
				Objects: []*unstructured.Unstructured{cm("h", "1")}, Adopted: []*unstructured.Unstructured{prior(handMade("h", "by hand"), "1")}}},
			extra: []*unstructured.Unstructured{handMade("h", "by hand"), adopted(cm("h", "1"))},
			want:  "ok", wantHistory: "1:failed 2:deployed", wantLive: "a=3 h=by hand", handMade: map[string]string{"h": "by hand"}, restored: []string{"h"},
		},
		{
			name: "record lists an adopted object not among its objects: not put back", objs: []*unstructured.Unstructured{cm("a", "3")},
			revs: []*release.Revision{{Number: 1, Status: release.StatusPending, Holder: "dead-runner",
				Objects: []*unstructured.Unstructured{cm("x", "1")}, Adopted: []*unstructured.Unstructured{prior(handMade("h", "by hand"), "1")}}},
			extra: []*unstructured.Unstructured{adopted(cm("h", "mine"))},
			want:  "ok", wantHistory: "1:failed 2:deployed", wantLive: "a=3 h=mine", warning: "lists it as adopted but not among its objects",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := deploytest.New()
			seed(t, e, tt.revs, tt.extra...)
			if tt.setup != nil {
				tt.setup(e)
			}
			var events []deploy.Event
			opts := tt.opts
			opts.OnEvent = func(ev deploy.Event) { events = append(events, ev) }
			objs := make([]*unstructured.Unstructured, len(tt.objs))
			for i, o := range tt.objs {
				objs[i] = o.DeepCopy()
				objs[i].SetNamespace("")
			}
			_, err := deploy.NewDeploy(e.Config).Run(context.Background(), deploy.DeployOptions{
				Release: rel, Namespace: ns, Objects: objs, RunOptions: opts,
			})
			if got := outcome(err); got != tt.want {
				t.Fatalf("outcome %q (%v), want %q", got, err, tt.want)
			}
			if got := history(t, e); got != tt.wantHistory {
				t.Errorf("history %q, want %q", got, tt.wantHistory)
			}
			if got := live(e); got != tt.wantLive {
				t.Errorf("live objects %q, want %q", got, tt.wantLive)
			}
			for name, v := range tt.handMade {
				wantHandMade(t, e, name, v)
			}
			var restored []string
			for _, k := range e.Cluster.Restored() {
				restored = append(restored, k.Name)
			}
			if !slices.Equal(restored, tt.restored) {
				t.Errorf("put back %v, want %v", restored, tt.restored)
			}
			for _, name := range tt.restored {
				if !slices.ContainsFunc(events, func(ev deploy.Event) bool {
					return ev.Kind == deploy.Step && strings.Contains(ev.Message, "ConfigMap prod/"+name+": put back as it was before revision")
				}) {
					t.Errorf("no event says ConfigMap %s was put back: %+v", name, events)
				}
			}
			if tt.warning != "" && !slices.ContainsFunc(events, func(ev deploy.Event) bool {
				return ev.Kind == deploy.Warning && strings.Contains(ev.Message, tt.warning)
			}) {
				t.Errorf("no Warning event containing %q in %+v", tt.warning, events)
			}
			if tt.want == "ok" {
				revs, _ := e.Store.History(context.Background(), rel)
				if last := revs[len(revs)-1]; len(last.Adopted) != 0 {
					t.Errorf("deployed revision %d keeps %d adopted objects' prior state", last.Number, len(last.Adopted))
				}
			}
		})
	}
}

// prior is obj as a deploy records it before adopting it, at resourceVersion rv.
func prior(obj *unstructured.Unstructured, rv string) *unstructured.Unstructured {
	p := obj.DeepCopy()
	p.SetResourceVersion(rv)
	return apply.PriorOf(p)
}

// adopted is obj with the release's ownership, as an adopting deploy applied it.
func adopted(obj *unstructured.Unstructured) *unstructured.Unstructured {
	o := obj.DeepCopy()
	o.SetAnnotations(map[string]string{manifest.ReleaseNamespaceAnnotation: ns, "note": "made by hand"})
	o.SetLabels(map[string]string{manifest.ReleaseLabel: rel, "team": "payments"})
	return o
}

// TestPendingRecordHoldsAdoptedObjects: when the first object is applied, the pending
// record holds each object the deploy adopts as it was, so that the deploy can be undone
// even after SIGKILL.
func TestPendingRecordHoldsAdoptedObjects(t *testing.T) {
	t.Parallel()
	e := deploytest.New(handMade("h", "by hand"))
	var atFirstApply *release.Revision
	e.Cluster.ApplyFunc = func(ctx context.Context, objs []*unstructured.Unstructured, opts apply.Options) ([]*unstructured.Unstructured, error) {
		if !opts.DryRun && atFirstApply == nil {
			atFirstApply, _ = e.Store.Get(ctx, rel, 1)
		}
		return e.Cluster.ApplyObjects(ctx, objs, opts)
	}
	_, err := deploy.NewDeploy(e.Config).Run(context.Background(), deploy.DeployOptions{
		Release: rel, Namespace: ns, Objects: []*unstructured.Unstructured{deploytest.ConfigMap("h", "2"), deploytest.ConfigMap("c", "2")},
		RunOptions: deploy.RunOptions{Adopt: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	if atFirstApply == nil || len(atFirstApply.Adopted) != 1 {
		t.Fatalf("at the first apply the record was %+v, want one adopted object", atFirstApply)
	}
	p := atFirstApply.Adopted[0]
	v, _, _ := unstructured.NestedString(p.Object, "data", "v")
	if manifest.KeyOf(p) != key("h") || v != "by hand" || p.GetLabels()["team"] != "payments" || p.GetResourceVersion() == "" {
		t.Errorf("adopted object recorded as %v, want ConfigMap h as made by hand, with its resourceVersion", p.Object)
	}
}

// TestFailedImportPutsHelmObjectsBack: an import adopts Helm's objects; when it fails,
// they go back as Helm left them.
func TestFailedImportPutsHelmObjectsBack(t *testing.T) {
	t.Parallel()
	e := deploytest.New(handMade("h", "helm"))
	failTrackingOf(e, "h", nil)
	_, err := deploy.NewImport(e.Config).Run(context.Background(), deploy.ImportOptions{
		Release: rel, Namespace: ns,
		Read: func(context.Context) (*deploy.Imported, error) {
			return &deploy.Imported{Name: rel, Revision: 3, Chart: "web-1.0.0",
				Objects: []*unstructured.Unstructured{deploytest.ConfigMap("h", "helm")}}, nil
		},
	})
	if got := outcome(err); got != "restored" {
		t.Fatalf("outcome %q (%v), want restored", got, err)
	}
	wantHandMade(t, e, "h", "helm")
	if got := e.Cluster.Restored(); len(got) != 1 || got[0] != key("h") {
		t.Errorf("put back %v, want ConfigMap h", got)
	}
}
