package manifest

import (
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestSetReleaseLabel(t *testing.T) {
	t.Parallel()
	objs := load(t, "testdata/app")
	before, _, _ := unstructured.NestedStringMap(objs[0].Object, "spec", "template", "metadata", "labels")
	objs[1].SetLabels(map[string]string{ReleaseLabel: "someone-else", "team": "shop"})

	if err := SetReleaseLabel(objs, "web"); err != nil {
		t.Fatalf("SetReleaseLabel: %v", err)
	}
	for _, o := range objs {
		if got := o.GetLabels()[ReleaseLabel]; got != "web" {
			t.Errorf("%s: %s=%q, want web", KeyOf(o), ReleaseLabel, got)
		}
	}
	if got := objs[1].GetLabels()["team"]; got != "shop" {
		t.Errorf("other labels lost: team=%q", got)
	}
	after, _, _ := unstructured.NestedStringMap(objs[0].Object, "spec", "template", "metadata", "labels")
	if !reflect.DeepEqual(before, after) {
		t.Errorf("pod template labels changed: %v -> %v", before, after)
	}
}

func TestSetReleaseLabelInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, release, want string }{
		{"empty", "", "empty"},
		{"not a label value", "web app!", "not a valid label value"},
		{"too long", strings.Repeat("a", 64), "not a valid label value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			objs := load(t, "testdata/app")
			err := SetReleaseLabel(objs, tt.release)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
			for _, o := range objs {
				if _, ok := o.GetLabels()[ReleaseLabel]; ok {
					t.Errorf("%s got the label despite the error", KeyOf(o))
				}
			}
		})
	}
}
