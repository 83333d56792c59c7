package diff

import (
	"reflect"
	"testing"

	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"
)

// fromYAML decodes a YAML value as the API machinery does (int64 for integers).
func fromYAML(t *testing.T, s string) any {
	t.Helper()
	js, err := yaml.YAMLToJSON([]byte(s))
	if err != nil {
		t.Fatalf("bad YAML fixture: %v", err)
	}
	var v any
	if err := utiljson.Unmarshal(js, &v); err != nil {
		t.Fatalf("bad YAML fixture: %v", err)
	}
	return v
}

func TestCompareValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a, b string
		want []FieldChange
	}{
		{name: "equal", a: "{spec: {replicas: 2}}", b: "{spec: {replicas: 2}}", want: nil},
		{name: "scalar changed", a: "{spec: {replicas: 2}}", b: "{spec: {replicas: 3}}",
			want: []FieldChange{{Path: ".spec.replicas", Before: int64(2), After: int64(3)}}},
		{name: "field added and removed, in key order",
			a: "{data: {b: x, c: y}}", b: "{data: {a: z, c: y}}",
			want: []FieldChange{{Path: ".data.a", After: "z"}, {Path: ".data.b", Before: "x"}}},
		{name: "keys that are not identifiers are quoted",
			a: "{metadata: {labels: {app.kubernetes.io/name: a}}}", b: "{metadata: {labels: {app.kubernetes.io/name: b}}}",
			want: []FieldChange{{Path: `.metadata.labels["app.kubernetes.io/name"]`, Before: "a", After: "b"}}},
		{name: "list items matched by name, whatever their order",
			a:    "{env: [{name: A, value: '1'}, {name: B, value: '2'}]}",
			b:    "{env: [{name: B, value: '2'}, {name: A, value: '9'}]}",
			want: []FieldChange{{Path: ".env[name=A].value", Before: "1", After: "9"}}},
		{name: "list item added and removed",
			a: "{env: [{name: A, value: '1'}, {name: B, value: '2'}]}",
			b: "{env: [{name: A, value: '1'}, {name: C, value: '3'}]}",
			want: []FieldChange{
				{Path: ".env[name=C]", After: map[string]any{"name": "C", "value": "3"}},
				{Path: ".env[name=B]", Before: map[string]any{"name": "B", "value": "2"}},
			}},
		{name: "mounts sharing a volume name are matched by mountPath",
			a:    "{m: [{name: v, mountPath: /a}, {name: v, mountPath: /b, readOnly: true}]}",
			b:    "{m: [{name: v, mountPath: /a}, {name: v, mountPath: /b, readOnly: false}]}",
			want: []FieldChange{{Path: ".m[mountPath=/b].readOnly", Before: true, After: false}}},
		{name: "lists without a key field are compared by position",
			a: "{rules: [{verbs: [get]}, {verbs: [list]}]}",
			b: "{rules: [{verbs: [get]}, {verbs: [watch]}, {verbs: [create]}]}",
			want: []FieldChange{
				{Path: ".rules[1].verbs", Before: []any{"list"}, After: []any{"watch"}},
				{Path: ".rules[2]", After: map[string]any{"verbs": []any{"create"}}},
			}},
		{name: "lists of scalars are one value",
			a: "{args: [a, b, c]}", b: "{args: [a, c]}",
			want: []FieldChange{{Path: ".args", Before: []any{"a", "b", "c"}, After: []any{"a", "c"}}}},
		{name: "numbers compare by value", a: "{x: 1}", b: "{x: 1.0}", want: nil},
		{name: "a map replaced by a scalar",
			a: "{x: {z: 1}}", b: "{x: 2}",
			want: []FieldChange{{Path: ".x", Before: map[string]any{"z": int64(1)}, After: int64(2)}}},
		{name: "whole object absent", a: "null", b: "{x: 1}", want: []FieldChange{{Path: ".", Before: nil, After: map[string]any{"x": int64(1)}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := compareValues(fromYAML(t, tt.a), fromYAML(t, tt.b))
			for i := range got {
				got[i].steps = nil
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("changes:\n got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestCompareValuesRecordsListItemsForOwnership(t *testing.T) {
	t.Parallel()
	got := compareValues(
		fromYAML(t, "{env: [{name: X, value: '0'}, {name: A, value: '1'}]}"),
		fromYAML(t, "{env: [{name: A, value: '2'}]}"),
	)
	var change *FieldChange
	for i := range got {
		if got[i].Path == ".env[name=A].value" {
			change = &got[i]
		}
	}
	if change == nil {
		t.Fatalf("no change of .env[name=A].value in %v", got)
	}
	item := change.steps[1]
	if !item.item || item.index != 1 || item.value.(map[string]any)["value"] != "1" {
		t.Errorf("list step = %+v, want the first side's item at index 1", item)
	}
}
