package health

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestGenericReadsNumbersOfAnyDecoder covers objects decoded by encoding/json (float64
// numbers) as well as by the API machinery (int64).
func TestGenericReadsNumbersOfAnyDecoder(t *testing.T) {
	t.Parallel()
	for _, observed := range []any{int64(1), float64(1), int(1)} {
		obj := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "example.com/v1", "kind": "Widget",
			"metadata": map[string]any{"name": "w", "generation": int64(2)},
			"status":   map[string]any{"observedGeneration": observed},
		}}
		if s := Generic(obj); s.Phase != Progressing || s.Reason != "NotObserved" {
			t.Errorf("observedGeneration as %T: got %s/%s, want Progressing/NotObserved", observed, s.Phase, s.Reason)
		}
	}
}
