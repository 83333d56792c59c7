package manifest

import (
	"strings"
	"testing"
)

func TestHash(t *testing.T) {
	t.Parallel()
	hash := func(t *testing.T, s string) string {
		t.Helper()
		objs, err := Decode("t.yaml", strings.NewReader(s))
		if err != nil {
			t.Fatal(err)
		}
		h, err := Hash(objs[0])
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	base := hash(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: '1', b: '2'}\n")
	tests := []struct {
		name string
		doc  string
		same bool
	}{
		{"reordered keys and other formatting", `{"data":{"b":"2","a":"1"},"metadata":{"name":"a"},"kind":"ConfigMap","apiVersion":"v1"}`, true},
		{"changed value", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: '1', b: '3'}\n", false},
		{"added label", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, labels: {l: v}}\ndata: {a: '1', b: '2'}\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := hash(t, tt.doc) == base; got != tt.same {
				t.Errorf("same hash = %v, want %v", got, tt.same)
			}
		})
	}
}
