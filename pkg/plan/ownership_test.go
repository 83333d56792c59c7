package plan

import (
	"errors"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/manifest"
)

func TestCheckOwnership(t *testing.T) {
	t.Parallel()
	objs := []*unstructured.Unstructured{cm("new"), cm("ours"), cm("unmanaged"), cm("theirs")}
	existing := map[manifest.Key]*metav1.ObjectMeta{
		manifest.KeyOf(cm("ours")):      {Labels: map[string]string{manifest.ReleaseLabel: "web"}, Annotations: map[string]string{manifest.ReleaseNamespaceAnnotation: "prod"}},
		manifest.KeyOf(cm("unmanaged")): {},
		manifest.KeyOf(cm("theirs")):    {Labels: map[string]string{manifest.ReleaseLabel: "db"}, Annotations: map[string]string{manifest.ReleaseNamespaceAnnotation: "prod"}},
		manifest.KeyOf(cm("staging")):   {Labels: map[string]string{manifest.ReleaseLabel: "web"}, Annotations: map[string]string{manifest.ReleaseNamespaceAnnotation: "staging"}},
		manifest.KeyOf(cm("legacy")):    {Labels: map[string]string{manifest.ReleaseLabel: "web"}},
	}
	objs = append(objs, cm("staging"), cm("legacy"))
	web := manifest.Owner{Namespace: "prod", Name: "web"}
	err := CheckOwnership(objs, existing, web, false)
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Fatalf("CheckOwnership = %v, want an *InputError", err)
	}
	for _, want := range []string{
		`ConfigMap prod/unmanaged exists and is not managed by shipsafe; pass --adopt to take it over into release prod/web`,
		`ConfigMap prod/theirs belongs to release prod/db`,
		`ConfigMap prod/staging belongs to release staging/web`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "prod/ours") || strings.Contains(err.Error(), "prod/new") || strings.Contains(err.Error(), "prod/legacy") {
		t.Errorf("error %q names an object the release may take", err)
	}
	if err := CheckOwnership(objs, existing, web, true); err != nil {
		t.Errorf("with adopt: %v", err)
	}
}

func TestCheckOwnerBrief(t *testing.T) {
	t.Parallel()
	k := manifest.KeyOf(cm("x"))
	web := manifest.Owner{Namespace: "prod", Name: "web"}
	ns := func(n string) map[string]string { return map[string]string{manifest.ReleaseNamespaceAnnotation: n} }
	if e := CheckOwner(k, map[string]string{manifest.ReleaseLabel: "web"}, ns("prod"), web); e != nil {
		t.Errorf("own object refused: %v", e)
	}
	if got := CheckOwner(k, nil, nil, web).Brief(); got != "exists and is not managed by shipsafe: deploy refuses it without --adopt" {
		t.Errorf("Brief of an unmanaged object = %q", got)
	}
	if got := CheckOwner(k, map[string]string{manifest.ReleaseLabel: "db"}, ns("prod"), web).Brief(); got != `belongs to release prod/db: deploy refuses it without --adopt` {
		t.Errorf("Brief of another release's object = %q", got)
	}
}
