package e2e

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// driftView is the JSON shape of `drift -o json`.
type driftView struct {
	Release  string `json:"release"`
	Revision int    `json:"revision"`
	Objects  []struct {
		Object string `json:"object"`
		State  string `json:"state"`
		Fields []struct {
			Path      string `json:"path"`
			Deployed  any    `json:"deployed"`
			Live      any    `json:"live"`
			ChangedBy *struct {
				Manager     string    `json:"manager"`
				Operation   string    `json:"operation"`
				Subresource string    `json:"subresource"`
				Time        time.Time `json:"time"`
			} `json:"changedBy"`
		} `json:"fields"`
	} `json:"objects"`
	InSync []string `json:"inSync"`
}

// TestDriftReport changes a deployed release by hand as kubectl would (`kubectl scale`
// through the scale subresource, `kubectl set env` as a strategic merge patch, each
// under kubectl's field manager name) and deletes its ConfigMap. drift names the two
// fields with who changed them and the deleted object; the next deploy repairs all
// three and drift is clean again.
func TestDriftReport(t *testing.T) {
	t.Parallel()
	e := setup(t)
	img := e.image(t, "naive", "e2e")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	manifest := writeManifest(t,
		workload{Name: "web", Image: img, Version: "v1", Replicas: 2}.yaml(),
		configMap("web-config", map[string]string{"color": "blue"}),
	)
	wantExit(t, e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-f", manifest), 0)
	r := e.shipsafe(t, ctx, "-n", ns, "drift", "web")
	wantExit(t, r, 0)
	wantContains(t, "drift after deploy", r.stdout, `release "web" is in sync with revision 1`)

	// kubectl scale deployment/web --replicas=3
	scale, err := e.client.AppsV1().Deployments(ns).GetScale(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get scale: %v", err)
	}
	scale.Spec.Replicas = 3
	if _, err := e.client.AppsV1().Deployments(ns).UpdateScale(ctx, "web", scale, metav1.UpdateOptions{FieldManager: "kubectl-scale"}); err != nil {
		t.Fatalf("scale: %v", err)
	}
	// kubectl set env deployment/web VERSION=by-hand
	patch := `{"spec":{"template":{"spec":{"containers":[{"name":"app","env":[{"name":"VERSION","value":"by-hand"}]}]}}}}`
	if _, err := e.client.AppsV1().Deployments(ns).Patch(ctx, "web", types.StrategicMergePatchType, []byte(patch),
		metav1.PatchOptions{FieldManager: "kubectl-set"}); err != nil {
		t.Fatalf("set env: %v", err)
	}
	// kubectl delete configmap web-config
	if err := e.client.CoreV1().ConfigMaps(ns).Delete(ctx, "web-config", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete configmap: %v", err)
	}

	r = e.shipsafe(t, ctx, "-n", ns, "drift", "web", "-o", "json")
	wantExit(t, r, 1)
	var rep driftView
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("decode drift -o json: %v\n%s", err, r.stdout)
	}
	if rep.Revision != 1 || len(rep.Objects) != 2 || len(rep.InSync) != 0 {
		t.Fatalf("drift of revision %d: %d objects drifted, %q in sync; want revision 1, 2 drifted, none in sync:\n%s",
			rep.Revision, len(rep.Objects), rep.InSync, r.stdout)
	}
	dep, cm := rep.Objects[0], rep.Objects[1]
	if dep.Object != "apps/Deployment "+ns+"/web" || dep.State != "changed" {
		t.Errorf("first drifted object %s %s, want the Deployment changed", dep.State, dep.Object)
	}
	if cm.Object != "ConfigMap "+ns+"/web-config" || cm.State != "deleted" {
		t.Errorf("second drifted object %s %s, want the ConfigMap deleted", cm.State, cm.Object)
	}
	type fieldWant struct {
		path, deployed, live, manager, subresource string
	}
	var got []fieldWant
	for _, f := range dep.Fields {
		w := fieldWant{path: f.Path, deployed: jsonText(f.Deployed), live: jsonText(f.Live)}
		if f.ChangedBy != nil {
			w.manager, w.subresource = f.ChangedBy.Manager, f.ChangedBy.Subresource
		}
		got = append(got, w)
	}
	want := []fieldWant{
		{path: ".spec.replicas", deployed: "2", live: "3", manager: "kubectl-scale", subresource: "scale"},
		{path: ".spec.template.spec.containers[name=app].env[name=VERSION].value", deployed: `"v1"`, live: `"by-hand"`, manager: "kubectl-set"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("drifted fields:\n got %+v\nwant %+v", got, want)
	}
	if f := dep.Fields[1]; f.ChangedBy != nil && (f.ChangedBy.Time.IsZero() || time.Since(f.ChangedBy.Time) > 5*time.Minute) {
		t.Errorf("kubectl-set changed the env at %v, want a recent time", f.ChangedBy.Time)
	}

	r = e.shipsafe(t, ctx, "-n", ns, "drift", "web")
	wantExit(t, r, 1)
	wantContains(t, "drift", r.stdout,
		"changed  apps/Deployment "+ns+"/web",
		".spec.replicas: 2 -> 3  by kubectl-scale (Update of scale",
		`.spec.template.spec.containers[name=app].env[name=VERSION].value: "v1" -> "by-hand"  by kubectl-set (Update, `,
		"deleted  ConfigMap "+ns+"/web-config",
		"2 objects drifted, 0 in sync")

	// The next plain deploy repairs all three: kubectl's managers only made imperative
	// updates, so their fields are taken back (see TestDriftIsReconciled).
	repair := e.shipsafe(t, ctx, "-n", ns, "deploy", "web", "-f", manifest)
	wantExit(t, repair, 0)
	wantContains(t, "repair", repair.stdout, "took back", "kubectl-scale")
	d, err := e.client.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Spec.Template.Spec.Containers[0].Env[0].Value; *d.Spec.Replicas != 2 || got != "v1" {
		t.Errorf("after deploy: replicas %d, VERSION %q; want 2 and v1", *d.Spec.Replicas, got)
	}
	if !e.exists(t, ctx, ns, "ConfigMap", "web-config") {
		t.Error("after deploy: ConfigMap web-config is still missing")
	}
	e.serves(t, ctx, ns, "web", "v1")
	r = e.shipsafe(t, ctx, "-n", ns, "drift", "web")
	wantExit(t, r, 0)
	wantContains(t, "drift after the repair", r.stdout, `release "web" is in sync with revision 2`)
}

// TestDriftErrors: a release that does not exist is bad input (exit 2).
func TestDriftErrors(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r := e.shipsafe(t, ctx, "-n", ns, "drift", "nothere")
	wantExit(t, r, 2)
	wantContains(t, "error", r.stderr, `release "nothere" not found`)
	r = e.shipsafe(t, ctx, "-n", ns, "drift", "web", "-o", "yaml")
	wantExit(t, r, 2)
}

// jsonText renders a decoded JSON value back as JSON text, "" for absent.
func jsonText(v any) string {
	if v == nil {
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}
