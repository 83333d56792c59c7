package diff

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/plan"
	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/release/store"
)

func TestDrift(t *testing.T) {
	t.Parallel()
	cfg, cluster := fixture(t)
	key := func(group, kind, name string) manifest.Key {
		return manifest.Key{Group: group, Kind: kind, Namespace: "prod", Name: name}
	}
	// By hand: scale web through the scale subresource, change the Secret, delete old,
	// and add a field the revision does not set (not drift: a deploy keeps it).
	web := cluster.live[key("apps", "Deployment", "web")]
	_ = unstructured.SetNestedField(web.Object, int64(5), "spec", "replicas")
	_ = unstructured.SetNestedField(web.Object, int64(30), "spec", "minReadySeconds")
	scaledAt := metav1.NewTime(time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC))
	web.SetManagedFields([]metav1.ManagedFieldsEntry{
		{Manager: "shipsafe", Operation: metav1.ManagedFieldsOperationApply, FieldsType: "FieldsV1",
			FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:spec":{"f:selector":{}}}`)}},
		{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationUpdate, Subresource: "scale", Time: &scaledAt, FieldsType: "FieldsV1",
			FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:spec":{"f:replicas":{}}}`)}},
	})
	creds := cluster.live[key("", "Secret", "creds")]
	_ = unstructured.SetNestedField(creds.Object, "c2VjcmV0", "data", "password")
	delete(cluster.live, key("", "ConfigMap", "old"))

	rep, err := Drift(context.Background(), cfg, DriftOptions{Release: "web", Namespace: "prod"})
	if err != nil {
		t.Fatalf("Drift: %v", err)
	}
	if !rep.Drifted() || rep.Revision != 1 {
		t.Errorf("Drifted %v, Revision %d; want true and 1", rep.Drifted(), rep.Revision)
	}
	var got []string
	for _, o := range rep.Objects {
		got = append(got, string(o.State)+" "+o.Object)
	}
	want := []string{"changed apps/Deployment prod/web", "changed Secret prod/creds", "deleted ConfigMap prod/old"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("objects %q, want %q", got, want)
	}
	if !reflect.DeepEqual(rep.InSync, []string{"ConfigMap prod/same"}) {
		t.Errorf("in sync %q, want the ConfigMap same", rep.InSync)
	}
	wantWeb := []FieldDrift{{Path: ".spec.replicas", Deployed: int64(2), Live: int64(5),
		ChangedBy: &Owner{Manager: "kubectl", Operation: "Update", Subresource: "scale", Time: scaledAt.UTC()}}}
	if !reflect.DeepEqual(rep.Objects[0].Fields, wantWeb) {
		t.Errorf("web drift %+v, want %+v", rep.Objects[0].Fields, wantWeb)
	}
	wantCreds := []FieldDrift{{Path: ".data.password", Deployed: Masked, Live: MaskedChanged}}
	if !reflect.DeepEqual(rep.Objects[1].Fields, wantCreds) {
		t.Errorf("creds drift %+v, want %+v", rep.Objects[1].Fields, wantCreds)
	}
	if strings.Contains(rep.Objects[1].Diff, "c2VjcmV0") || strings.Contains(rep.Objects[1].Diff, "aHVudGVy") {
		t.Errorf("the Secret's diff shows a value:\n%s", rep.Objects[1].Diff)
	}
	// Only forced dry runs: exactly what deploy --force-conflicts would do.
	if len(cluster.forced) != 3 {
		t.Errorf("forced dry runs of %v, want the 3 live objects", cluster.forced)
	}
}

func TestDriftInSync(t *testing.T) {
	t.Parallel()
	cfg, _ := fixture(t)
	rep, err := Drift(context.Background(), cfg, DriftOptions{Release: "web", Namespace: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Drifted() || len(rep.InSync) != 4 {
		t.Errorf("objects %+v, in sync %q; want none drifted and 4 in sync", rep.Objects, rep.InSync)
	}
}

func TestDriftWithoutDeployedRevision(t *testing.T) {
	t.Parallel()
	failed := store.NewMemory()
	rev := &release.Revision{Release: "web", Number: 1, Status: release.StatusPending}
	if err := rev.Transition(release.StatusFailed, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := failed.Create(context.Background(), rev); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		store History
		want  string
	}{
		{name: "no release", store: store.NewMemory(), want: `release "web" not found`},
		{name: "only a failed revision", store: failed, want: "no deployed revision"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := &Config{Cluster: newFakeCluster(t), Store: tt.store, Mapper: mapper()}
			_, err := Drift(context.Background(), cfg, DriftOptions{Release: "web", Namespace: "prod"})
			var ierr *plan.InputError
			if !errors.As(err, &ierr) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want an InputError containing %q", err, tt.want)
			}
		})
	}
}

// TestDriftIgnoresWritesBetweenReadAndDryRun plays the Deployment controller writing
// the object (a new revision annotation) after drift read it and before the dry run:
// the dry run's answer comes from the newer version, and comparing it with the older
// one would report the controller's write as drift.
func TestDriftIgnoresWritesBetweenReadAndDryRun(t *testing.T) {
	t.Parallel()
	cfg, cluster := fixture(t)
	webKey := manifest.Key{Group: "apps", Kind: "Deployment", Namespace: "prod", Name: "web"}
	writes := 0
	cluster.beforeDryRun = func(k manifest.Key) {
		if k != webKey || writes == 1 {
			return
		}
		writes++
		w := cluster.live[k].DeepCopy()
		ann := w.GetAnnotations()
		ann["deployment.kubernetes.io/revision"] = fmt.Sprint(writes + 1)
		w.SetAnnotations(ann)
		w.SetResourceVersion(fmt.Sprint(100 + writes))
		cluster.live[k] = w
	}
	rep, err := Drift(context.Background(), cfg, DriftOptions{Release: "web", Namespace: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Drifted() {
		t.Errorf("drift reports %+v; the controller's writes are not drift", rep.Objects)
	}
	if writes != 1 {
		t.Errorf("the controller wrote %d times, want 1", writes)
	}
}
