package diff

import (
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func secret(data map[string]any, annotations map[string]any) *unstructured.Unstructured {
	o := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "s"}}}
	if data != nil {
		o.Object["data"] = data
	}
	if annotations != nil {
		o.Object["metadata"].(map[string]any)["annotations"] = annotations
	}
	return o
}

func TestMaskSecrets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                  string
		before, after         *unstructured.Unstructured
		wantBefore, wantAfter map[string]any
	}{
		{
			name:       "same, changed, added and removed keys",
			before:     secret(map[string]any{"same": "YQ==", "changed": "Yg==", "removed": "Yw=="}, nil),
			after:      secret(map[string]any{"same": "YQ==", "changed": "ZA==", "added": "ZQ=="}, nil),
			wantBefore: map[string]any{"same": Masked, "changed": Masked, "removed": Masked},
			wantAfter:  map[string]any{"same": Masked, "changed": MaskedChanged, "added": Masked},
		},
		{
			name:      "a created Secret",
			after:     secret(map[string]any{"k": "dg=="}, nil),
			wantAfter: map[string]any{"k": Masked},
		},
		{
			name:       "a deleted Secret",
			before:     secret(map[string]any{"k": "dg=="}, nil),
			wantBefore: map[string]any{"k": Masked},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			maskSecrets(tt.before, tt.after)
			if got := nestedMap(tt.before, "data"); tt.before != nil && !reflect.DeepEqual(got, tt.wantBefore) {
				t.Errorf("before: %v, want %v", got, tt.wantBefore)
			}
			if got := nestedMap(tt.after, "data"); tt.after != nil && !reflect.DeepEqual(got, tt.wantAfter) {
				t.Errorf("after: %v, want %v", got, tt.wantAfter)
			}
		})
	}
}

func TestMaskSecretsStringDataAndLastApplied(t *testing.T) {
	t.Parallel()
	before := secret(nil, map[string]any{lastApplied: `{"stringData":{"p":"old"}}`, "other": "kept"})
	after := secret(nil, map[string]any{lastApplied: `{"stringData":{"p":"new"}}`, "other": "kept"})
	after.Object["stringData"] = map[string]any{"p": "new"}
	maskSecrets(before, after)
	if got := after.Object["stringData"].(map[string]any)["p"]; got != Masked {
		t.Errorf("stringData value = %v, want %q", got, Masked)
	}
	if got := after.GetAnnotations()[lastApplied]; got != MaskedChanged {
		t.Errorf("after's last-applied annotation = %q, want %q", got, MaskedChanged)
	}
	if got := before.GetAnnotations()[lastApplied]; got != Masked {
		t.Errorf("before's last-applied annotation = %q, want %q", got, Masked)
	}
	if got := after.GetAnnotations()["other"]; got != "kept" {
		t.Errorf("another annotation was masked: %q", got)
	}
}

func TestMaskSecretsLeavesOtherKindsAlone(t *testing.T) {
	t.Parallel()
	cm := secret(map[string]any{"k": "v"}, nil)
	cm.SetKind("ConfigMap")
	maskSecrets(cm, cm.DeepCopy())
	if got := nestedMap(cm, "data")["k"]; got != "v" {
		t.Errorf("a ConfigMap value was masked: %v", got)
	}
}
