package deploy_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/deploy"
	"github.com/shipsafe/shipsafe/pkg/deploy/deploytest"
	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/track"
)

// crd is a CustomResourceDefinition named name whose spec carries note, as a chart's
// crds/ holds it.
func crd(name, note string) *unstructured.Unstructured {
	o := deploytest.Object("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", name, nil)
	o.Object["spec"] = map[string]any{"note": note}
	return o
}

// owned returns a copy of o as release owner has it live: labelled and annotated.
func owned(o *unstructured.Unstructured, owner manifest.Owner) *unstructured.Unstructured {
	c := o.DeepCopy()
	if err := manifest.SetOwner([]*unstructured.Unstructured{c}, owner); err != nil {
		panic(err)
	}
	return c
}

// kept returns a copy of o marked with the keep policy annotation ann.
func keptBy(o *unstructured.Unstructured, ann string) *unstructured.Unstructured {
	c := o.DeepCopy()
	c.SetAnnotations(map[string]string{ann: manifest.KeepPolicy})
	return c
}

// chartWith is a chart record naming crds as its crds/.
func chartWith(crds ...*unstructured.Unstructured) *release.Chart {
	c := &release.Chart{Name: "gadgets", Version: "1.0.0"}
	for _, o := range crds {
		c.CRDs = append(c.CRDs, release.RefOf(o))
	}
	return c
}

var me = manifest.Owner{Namespace: ns, Name: rel}

// noteOf returns the note of the live CRD name, or "absent".
func noteOf(e *deploytest.Env, name string) string {
	o := e.Cluster.Live(manifest.KeyOf(crd(name, "")))
	if o == nil {
		return "absent"
	}
	n, _, _ := unstructured.NestedString(o.Object, "spec", "note")
	return n
}

// ownerOf names the owner of the live object with key k ("none" when no release owns
// it, "absent" when it does not exist).
func ownerOfLive(e *deploytest.Env, k manifest.Key) string {
	o := e.Cluster.Live(k)
	if o == nil {
		return "absent"
	}
	if owner, ok := manifest.OwnerOf(o.GetLabels(), o.GetAnnotations()); ok {
		return owner.Namespace + "/" + owner.Name
	}
	return "none"
}

// events collects the messages of an action's events.
type events struct{ msgs []string }

func (ev *events) add(e deploy.Event) { ev.msgs = append(ev.msgs, string(e.Kind)+": "+e.Message) }

func (ev *events) count(sub string) int {
	n := 0
	for _, m := range ev.msgs {
		if strings.Contains(m, sub) {
			n++
		}
	}
	return n
}

// TestChartCRDsAreCreatedNeverUpgraded deploys a chart whose crds/ hold two CRDs, one
// of which exists (owned by another release): only the absent one is applied, the
// other is left as it is without an ownership refusal, and the output says so once.
// With UpdateCRDs the existing one of the release is applied like any object.
func TestChartCRDsAreCreatedNeverUpgraded(t *testing.T) {
	t.Parallel()
	other := manifest.Owner{Namespace: "elsewhere", Name: "other"}
	e := deploytest.New(owned(crd("theirs.example.com", "theirs"), other))
	theirs, mine := crd("theirs.example.com", "chart"), crd("mine.example.com", "chart v1")
	var ev events
	_, err := deploy.NewDeploy(e.Config).Run(context.Background(), deploy.DeployOptions{
		Release: rel, Namespace: ns, Chart: chartWith(theirs, mine),
		Objects:    []*unstructured.Unstructured{theirs, mine, deploytest.ConfigMap("a", "1")},
		RunOptions: deploy.RunOptions{OnEvent: ev.add},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := noteOf(e, "theirs.example.com") + " " + noteOf(e, "mine.example.com"); got != "theirs chart v1" {
		t.Errorf("CRD notes %q, want the existing CRD left (theirs) and the absent one created (chart v1)", got)
	}
	if got := ownerOfLive(e, manifest.KeyOf(theirs)); got != "elsewhere/other" {
		t.Errorf("the existing CRD is owned by %s, want it left to elsewhere/other", got)
	}
	if n := ev.count("left as it is"); n != 1 {
		t.Errorf("%d events say a CRD is left as it is, want 1:\n%s", n, strings.Join(ev.msgs, "\n"))
	}
	if slices.Contains(e.Cluster.DryRun(), manifest.KeyOf(theirs)) || slices.Contains(e.Cluster.Applied(), manifest.KeyOf(theirs)) {
		t.Errorf("the existing CRD was dry-run or applied: dry runs %v, applies %v", e.Cluster.DryRun(), e.Cluster.Applied())
	}

	// An upgrade changes the chart's CRD: left as it is, unless UpdateCRDs.
	upgrade := func(update bool) {
		t.Helper()
		mine := crd("mine.example.com", "chart v2")
		_, err := deploy.NewDeploy(e.Config).Run(context.Background(), deploy.DeployOptions{
			Release: rel, Namespace: ns, Chart: chartWith(mine),
			Objects: []*unstructured.Unstructured{mine, deploytest.ConfigMap("a", "2")}, UpdateCRDs: update,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	upgrade(false)
	if got := noteOf(e, "mine.example.com"); got != "chart v1" {
		t.Errorf("after an upgrade without UpdateCRDs the CRD says %q, want chart v1", got)
	}
	// theirs.example.com left the chart: it is not the release's, so it is not touched.
	if got := ownerOfLive(e, manifest.KeyOf(theirs)); got != "elsewhere/other" {
		t.Errorf("the other release's CRD is owned by %s after the chart dropped it", got)
	}
	upgrade(true)
	if got := noteOf(e, "mine.example.com"); got != "chart v2" {
		t.Errorf("after an upgrade with UpdateCRDs the CRD says %q, want chart v2", got)
	}
}

// TestChartCRDsOutliveRelease checks that no prune, restore or uninstall deletes a CRD
// of a chart's crds/ unless asked, and that kept objects lose the release's ownership.
func TestChartCRDsOutliveRelease(t *testing.T) {
	t.Parallel()
	gadgets, widgets := crd("gadgets.example.com", "1"), crd("widgets.example.com", "1")

	t.Run("prune of a CRD the chart dropped", func(t *testing.T) {
		t.Parallel()
		e := deploytest.New()
		seed(t, e, []*release.Revision{{Number: 1, Status: release.StatusDeployed, Chart: chartWith(gadgets, widgets),
			Objects: []*unstructured.Unstructured{owned(gadgets, me), owned(widgets, me), cm("a", "1")}}})
		var ev events
		_, err := deploy.NewDeploy(e.Config).Run(context.Background(), deploy.DeployOptions{
			Release: rel, Namespace: ns, Chart: chartWith(gadgets), RunOptions: deploy.RunOptions{OnEvent: ev.add},
			Objects: []*unstructured.Unstructured{gadgets, deploytest.ConfigMap("a", "2")},
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := ownerOfLive(e, manifest.KeyOf(widgets)); got != "none" {
			t.Errorf("the dropped CRD is %s after the prune, want it left without an owner", got)
		}
		if ev.count("widgets.example.com: a CRD of the chart's crds/") != 1 {
			t.Errorf("no event says why the CRD stays:\n%s", strings.Join(ev.msgs, "\n"))
		}
	})

	t.Run("failed first install", func(t *testing.T) {
		t.Parallel()
		e := deploytest.New()
		e.Tracker.RunFunc = func(_ context.Context, objs []*unstructured.Unstructured, _ func(track.Event)) (track.Result, error) {
			return deploytest.Failed(objs, manifest.KeyOf(objs[0]), "CrashLoopBackOff", "it crashes"), nil
		}
		var ev events
		_, err := deploy.NewDeploy(e.Config).Run(context.Background(), deploy.DeployOptions{
			Release: rel, Namespace: ns, Chart: chartWith(gadgets), RunOptions: deploy.RunOptions{OnEvent: ev.add},
			Objects: []*unstructured.Unstructured{gadgets, keptBy(deploytest.ConfigMap("data", "1"), manifest.HelmResourcePolicyAnnotation),
				keptBy(deploytest.ConfigMap("pw", "1"), manifest.ResourcePolicyAnnotation), deploytest.ConfigMap("a", "1")},
		})
		if outcome(err) != "restored" {
			t.Fatalf("deploy: %v, want a failure restored", err)
		}
		got := fmt.Sprintf("crd %s, data %s, pw %s, a %s", ownerOfLive(e, manifest.KeyOf(gadgets)),
			ownerOfLive(e, key("data")), ownerOfLive(e, key("pw")), ownerOfLive(e, key("a")))
		// The CRD stays the release's: a second attempt finds it its own.
		if want := "crd prod/web, data none, pw none, a absent"; got != want {
			t.Errorf("after the failed install: %s, want %s", got, want)
		}
		for _, sub := range []string{"gadgets.example.com: left in place", "ConfigMap prod/data: kept by its helm.sh/resource-policy",
			"ConfigMap prod/pw: kept by its shipsafe.io/resource-policy"} {
			if ev.count(sub) != 1 {
				t.Errorf("no event says %q:\n%s", sub, strings.Join(ev.msgs, "\n"))
			}
		}
	})

	t.Run("recovery of an interrupted install", func(t *testing.T) {
		t.Parallel()
		e := deploytest.New()
		data := keptBy(cm("data", "1"), manifest.HelmResourcePolicyAnnotation)
		seed(t, e, []*release.Revision{{Number: 1, Status: release.StatusPending, Holder: "dead", Chart: chartWith(gadgets),
			Objects: []*unstructured.Unstructured{owned(gadgets, me), data, cm("a", "1")},
			Created: []release.ObjectRef{release.RefOf(gadgets), release.RefOf(data), release.RefOf(cm("a", ""))}}},
			owned(gadgets, me), data, cm("a", "1"))
		// The next attempt: its deploy recovers, and finds the CRD its own.
		_, err := deploy.NewDeploy(e.Config).Run(context.Background(), deploy.DeployOptions{
			Release: rel, Namespace: ns, Chart: chartWith(gadgets),
			Objects: []*unstructured.Unstructured{gadgets, deploytest.ConfigMap("b", "2")},
		})
		if err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprintf("crd %s, data %s, a %s", ownerOfLive(e, manifest.KeyOf(gadgets)), ownerOfLive(e, key("data")), ownerOfLive(e, key("a")))
		if want := "crd prod/web, data none, a absent"; got != want {
			t.Errorf("after the recovery: %s, want %s", got, want)
		}
	})

	for _, deleteCRDs := range []bool{false, true} {
		t.Run(fmt.Sprintf("uninstall, DeleteCRDs %t", deleteCRDs), func(t *testing.T) {
			t.Parallel()
			e := deploytest.New()
			// Revision 1 created both CRDs; revision 2 found them and left widgets as it was,
			// so only its chart names it. A failed revision 3 created another.
			more := crd("more.example.com", "3")
			seed(t, e, []*release.Revision{
				{Number: 1, Status: release.StatusSuperseded, Chart: chartWith(gadgets, widgets),
					Objects: []*unstructured.Unstructured{owned(gadgets, me), owned(widgets, me), cm("a", "1")}},
				{Number: 2, Status: release.StatusDeployed, Chart: chartWith(gadgets, widgets),
					Objects: []*unstructured.Unstructured{owned(gadgets, me), cm("a", "2")}},
				{Number: 3, Status: release.StatusFailed, Chart: chartWith(gadgets, widgets, more),
					Created: []release.ObjectRef{release.RefOf(more)}},
			}, owned(widgets, me), owned(more, me))
			var ev events
			_, err := deploy.NewUninstall(e.Config).Run(context.Background(), deploy.UninstallOptions{
				Release: rel, Namespace: ns, DeleteCRDs: deleteCRDs, OnEvent: ev.add})
			if err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprintf("gadgets %s, widgets %s, more %s, a %s", ownerOfLive(e, manifest.KeyOf(gadgets)),
				ownerOfLive(e, manifest.KeyOf(widgets)), ownerOfLive(e, manifest.KeyOf(more)), ownerOfLive(e, key("a")))
			want := "gadgets none, widgets none, more none, a absent"
			if deleteCRDs {
				want = "gadgets absent, widgets absent, more absent, a absent"
			}
			if got != want {
				t.Errorf("after the uninstall: %s, want %s", got, want)
			}
			if n := ev.count("--delete-crds"); deleteCRDs != (n == 0) {
				t.Errorf("%d events name --delete-crds:\n%s", n, strings.Join(ev.msgs, "\n"))
			}
		})
	}
}

// TestRestoreLeavesChartCRDs checks that the rollback of a failed upgrade that updated
// a chart's CRD (UpdateCRDs) does not apply the last revision's version back: Helm never
// changes a CRD on rollback.
func TestRestoreLeavesChartCRDs(t *testing.T) {
	t.Parallel()
	e := deploytest.New()
	v1crd := crd("gadgets.example.com", "1")
	seed(t, e, []*release.Revision{{Number: 1, Status: release.StatusDeployed, Chart: chartWith(v1crd),
		Objects: []*unstructured.Unstructured{owned(v1crd, me), cm("a", "1")}}})
	e.Tracker.RunFunc = func(_ context.Context, objs []*unstructured.Unstructured, _ func(track.Event)) (track.Result, error) {
		e.Tracker.RunFunc = nil
		return track.Result{}, errors.New("it never got ready")
	}
	v2crd := crd("gadgets.example.com", "2")
	_, err := deploy.NewDeploy(e.Config).Run(context.Background(), deploy.DeployOptions{
		Release: rel, Namespace: ns, Chart: chartWith(v2crd), UpdateCRDs: true,
		Objects: []*unstructured.Unstructured{v2crd, deploytest.ConfigMap("a", "2")},
	})
	if outcome(err) != "rolled back to 1" {
		t.Fatalf("deploy: %v, want rolled back to 1", err)
	}
	if got := noteOf(e, "gadgets.example.com") + " " + live(e); got != "2 a=1 CustomResourceDefinition/gadgets.example.com" {
		t.Errorf("after the rollback: %s, want the updated CRD left and a=1", got)
	}
}
