package diff

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/plan"
)

const webV1 = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: naive:1
        env: [{name: VERSION, value: v1}, {name: MODE, value: fast}]
`

const credsV1 = `
apiVersion: v1
kind: Secret
metadata: {name: creds}
data: {password: aHVudGVyMg==, user: YWRtaW4=}
`

// fixture is a release "web" deployed as revision 1 (web, creds, old, same), live as
// deployed.
func fixture(t *testing.T) (*Config, *fakeCluster) {
	t.Helper()
	web, creds := obj(t, webV1), obj(t, credsV1)
	old := obj(t, "{apiVersion: v1, kind: ConfigMap, metadata: {name: old}, data: {x: '1'}}")
	same := obj(t, "{apiVersion: v1, kind: ConfigMap, metadata: {name: same}, data: {x: '1'}}")
	var rev []*unstructured.Unstructured
	var lives []*unstructured.Unstructured
	for _, o := range []*unstructured.Unstructured{web, creds, old, same} {
		l := live(o, "web")
		lives = append(lives, l)
		r := l.DeepCopy()
		r.SetResourceVersion("")
		r.SetUID("")
		r.SetGeneration(0)
		r.SetCreationTimestamp(metav1.Time{})
		unstructured.RemoveNestedField(r.Object, "spec", "progressDeadlineSeconds")
		rev = append(rev, r)
	}
	cluster := newFakeCluster(t, lives...)
	return &Config{Cluster: cluster, Store: deployed(t, "web", rev...), Mapper: mapper()}, cluster
}

func TestPlan(t *testing.T) {
	t.Parallel()
	cfg, _ := fixture(t)
	web := obj(t, strings.NewReplacer("replicas: 2", "replicas: 3", "value: v1", "value: v2").Replace(webV1))
	creds := obj(t, strings.Replace(credsV1, "aHVudGVyMg==", "aHVudGVyMw==", 1))
	fresh := obj(t, "{apiVersion: v1, kind: ConfigMap, metadata: {name: fresh}, data: {k: v}}")
	same := obj(t, "{apiVersion: v1, kind: ConfigMap, metadata: {name: same}, data: {x: '1'}}")

	res, err := Plan(context.Background(), cfg, Options{Release: "web", Namespace: "prod",
		Objects: []*unstructured.Unstructured{web, creds, fresh, same}})
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	if !res.Changed() || res.Revision != 1 {
		t.Errorf("Changed %v, Revision %d; want true and 1", res.Changed(), res.Revision)
	}
	var got []string
	for _, o := range res.Objects {
		got = append(got, string(o.Action)+" "+o.Object)
	}
	want := []string{"change apps/Deployment prod/web", "change Secret prod/creds", "create ConfigMap prod/fresh", "prune ConfigMap prod/old"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("objects %q, want %q", got, want)
	}
	if !reflect.DeepEqual(res.Unchanged, []string{"ConfigMap prod/same"}) {
		t.Errorf("unchanged %q, want the ConfigMap same", res.Unchanged)
	}

	// Exactly the two changed fields of the Deployment; the server default does not count.
	dep := res.Objects[0]
	wantFields := []FieldChange{
		{Path: ".spec.replicas", Before: int64(2), After: int64(3)},
		{Path: ".spec.template.spec.containers[name=app].env[name=VERSION].value", Before: "v1", After: "v2"},
	}
	for i := range dep.Fields {
		dep.Fields[i].steps = nil
	}
	if !reflect.DeepEqual(dep.Fields, wantFields) {
		t.Errorf("deployment fields %+v, want %+v", dep.Fields, wantFields)
	}
	var changed []string
	for _, l := range strings.Split(dep.Diff, "\n") {
		if (strings.HasPrefix(l, "-") || strings.HasPrefix(l, "+")) && !strings.HasPrefix(l, "---") && !strings.HasPrefix(l, "+++") {
			changed = append(changed, l[:1]+strings.TrimSpace(l[1:]))
		}
	}
	if want := []string{"-replicas: 2", "+replicas: 3", "-value: v1", "+value: v2"}; !reflect.DeepEqual(changed, want) {
		t.Errorf("diff changes lines %q, want %q:\n%s", changed, want, dep.Diff)
	}
	for _, volatile := range []string{"resourceVersion", "uid", "generation", "creationTimestamp"} {
		if strings.Contains(dep.Diff, volatile) {
			t.Errorf("diff shows %s:\n%s", volatile, dep.Diff)
		}
	}

	// The Secret shows which key changed, never a value.
	sec := res.Objects[1]
	if len(sec.Fields) != 1 || sec.Fields[0].Path != ".data.password" || sec.Fields[0].Before != Masked || sec.Fields[0].After != MaskedChanged {
		t.Errorf("secret fields %+v, want .data.password %s -> %s", sec.Fields, Masked, MaskedChanged)
	}
	for _, secretValue := range []string{"aHVudGVy", "YWRtaW4="} {
		if strings.Contains(sec.Diff, secretValue) {
			t.Errorf("secret diff shows a value:\n%s", sec.Diff)
		}
	}
	if !strings.Contains(sec.Diff, "+  password: '*** (changed)'") {
		t.Errorf("secret diff does not mark the changed key:\n%s", sec.Diff)
	}

	// The created object is shown as deploy sends it: namespace and release label set.
	if c := res.Objects[2].Diff; !strings.Contains(c, "+  namespace: prod") || !strings.Contains(c, "+    shipsafe.io/release: web") {
		t.Errorf("create diff lacks the namespace or release label:\n%s", c)
	}
}

func TestPlanNoChanges(t *testing.T) {
	t.Parallel()
	cfg, _ := fixture(t)
	objs := []*unstructured.Unstructured{
		obj(t, webV1), obj(t, credsV1),
		obj(t, "{apiVersion: v1, kind: ConfigMap, metadata: {name: old}, data: {x: '1'}}"),
		obj(t, "{apiVersion: v1, kind: ConfigMap, metadata: {name: same}, data: {x: '1'}}"),
	}
	res, err := Plan(context.Background(), cfg, Options{Release: "web", Namespace: "prod", Objects: objs})
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	if res.Changed() || len(res.Unchanged) != 4 {
		t.Errorf("objects %+v, unchanged %q; want no changes and 4 unchanged", res.Objects, res.Unchanged)
	}
}

func TestPlanConflicts(t *testing.T) {
	t.Parallel()
	for _, force := range []bool{false, true} {
		cfg, cluster := fixture(t)
		webKey := manifest.Key{Group: "apps", Kind: "Deployment", Namespace: "prod", Name: "web"}
		cluster.conflicts[webKey] = []metav1.StatusCause{{
			Type: metav1.CauseTypeFieldManagerConflict, Field: ".spec.replicas",
			Message: `conflict with "kubectl" with subresource "scale" using apps/v1`,
		}}
		web := obj(t, strings.Replace(webV1, "replicas: 2", "replicas: 3", 1))
		res, err := Plan(context.Background(), cfg, Options{Release: "web", Namespace: "prod",
			Objects: []*unstructured.Unstructured{web}, ForceConflicts: force})
		if err != nil {
			t.Fatalf("force=%v: Plan: %v", force, err)
		}
		d := res.Objects[0]
		if d.Object != webKey.String() || len(d.Fields) != 1 || d.Fields[0].Path != ".spec.replicas" {
			t.Fatalf("force=%v: first object %+v, want the web replicas change", force, d)
		}
		var want []Conflict
		if !force {
			want = []Conflict{{Path: ".spec.replicas", Manager: "kubectl", Subresource: "scale"}}
		}
		if !reflect.DeepEqual(d.Conflicts, want) {
			t.Errorf("force=%v: conflicts %+v, want %+v", force, d.Conflicts, want)
		}
	}
}

func TestPlanErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    Options
		invalid bool
		want    string
	}{
		{name: "bad release name", opts: Options{Release: "Web_1", Namespace: "prod"}, want: "Web_1"},
		{name: "no objects", opts: Options{Release: "web", Namespace: "prod"}, want: "no objects"},
		{name: "an object the server rejects", invalid: true, want: "server-side dry run"},
		{name: "an unknown kind", want: "does not serve kind",
			opts: Options{Release: "web", Namespace: "prod", Objects: []*unstructured.Unstructured{
				{Object: map[string]any{"apiVersion": "example.com/v1", "kind": "Widget", "metadata": map[string]any{"name": "w"}}},
			}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, cluster := fixture(t)
			if tt.invalid {
				web := obj(t, webV1)
				cluster.invalid[manifest.Key{Group: "apps", Kind: "Deployment", Namespace: "prod", Name: "web"}] = true
				tt.opts = Options{Release: "web", Namespace: "prod", Objects: []*unstructured.Unstructured{web}}
			}
			_, err := Plan(context.Background(), cfg, tt.opts)
			var ierr *plan.InputError
			if !errors.As(err, &ierr) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want an InputError containing %q", err, tt.want)
			}
		})
	}
}

func TestPlanWarnsAboutObjectsOfOthers(t *testing.T) {
	t.Parallel()
	cfg, cluster := fixture(t)
	foreign := live(obj(t, "{apiVersion: v1, kind: ConfigMap, metadata: {name: foreign}, data: {x: '1'}}"), "other")
	cluster.live[manifest.KeyOf(foreign)] = foreign
	res, err := Plan(context.Background(), cfg, Options{Release: "web", Namespace: "prod", Objects: []*unstructured.Unstructured{
		obj(t, "{apiVersion: v1, kind: ConfigMap, metadata: {name: foreign}, data: {x: '1'}}"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	d := res.Objects[0]
	if d.Action != Change || len(d.Warnings) != 1 || !strings.Contains(d.Warnings[0], "belongs to release prod/other") {
		t.Errorf("object %+v, want a change with a warning about release other", d)
	}
}
