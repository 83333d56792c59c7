package store

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/release"
)

// TestEncodeMatchesEncodingJSON: a record's JSON decodes to what encoding/json's
// rendering of the same revision decodes to (the objects' part is written by objjson,
// the rest by encoding/json).
func TestEncodeMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	rev := &release.Revision{Release: "web", Namespace: "prod", Number: 4, Status: release.StatusDeployed,
		Created: []release.ObjectRef{{APIVersion: "v1", Kind: "ConfigMap", Namespace: "prod", Name: "c"}},
		Applied: map[string]release.AppliedState{"ConfigMap prod/c": {Digest: "d", ResourceVersion: "7"}}}
	values := []any{"<html> & \"quotes\"", "line\nbreak \u2028", "bad \xff utf8", int64(-3), 2.5e-9, 1e21, true, nil,
		[]any{"x", map[string]any{"z": int64(1), "a": []any{}}}, map[string]any{}}
	for i, v := range values {
		rev.Objects = append(rev.Objects, &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": fmt.Sprintf("cm-%d", i), "namespace": "prod"},
			"data": map[string]any{"v": v}}})
	}
	rev.Adopted = rev.Objects[:3]
	got, err := marshalRevision(rev)
	if err != nil {
		t.Fatal(err)
	}
	want, err := json.Marshal(rev)
	if err != nil {
		t.Fatal(err)
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("marshalRevision and json.Marshal differ:\n got %s\nwant %s", got, want)
	}
}
