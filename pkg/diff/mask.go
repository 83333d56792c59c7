package diff

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Masks shown in place of Secret values.
const (
	// Masked stands for a Secret value that is the same on both sides (or one side only).
	Masked = "***"
	// MaskedChanged stands for a Secret value that differs between the two sides.
	MaskedChanged = "*** (changed)"
)

// lastApplied is kubectl's client-side apply annotation, which holds a copy of the
// object, Secret values included.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// isSecret reports whether obj is a core/v1 Secret.
func isSecret(obj *unstructured.Unstructured) bool {
	if obj == nil {
		return false
	}
	gvk := obj.GroupVersionKind()
	return gvk.Group == "" && gvk.Kind == "Secret"
}

// maskSecrets replaces, in place, the values of Secrets' data and stringData and their
// last-applied annotation with Masked, or with MaskedChanged on the after side when the
// value differs from the before side, so a diff shows which keys change and never a
// value. Either side may be nil; objects that are not Secrets are left alone.
func maskSecrets(before, after *unstructured.Unstructured) {
	if !isSecret(before) && !isSecret(after) {
		return
	}
	for _, field := range []string{"data", "stringData"} {
		b := nestedMap(before, field)
		a := nestedMap(after, field)
		for k, av := range a {
			bv, inBefore := b[k]
			switch {
			case inBefore && !equal(av, bv):
				a[k] = MaskedChanged
			default:
				a[k] = Masked
			}
		}
		for k := range b {
			b[k] = Masked
		}
	}
	ba, bok := annotation(before, lastApplied)
	aa, aok := annotation(after, lastApplied)
	if aok {
		v := Masked
		if bok && ba != aa {
			v = MaskedChanged
		}
		setAnnotation(after, lastApplied, v)
	}
	if bok {
		setAnnotation(before, lastApplied, Masked)
	}
}

// nestedMap returns the map at obj.field, shared with obj (nil when absent).
func nestedMap(obj *unstructured.Unstructured, field string) map[string]any {
	if obj == nil {
		return nil
	}
	m, _ := obj.Object[field].(map[string]any)
	return m
}

func annotation(obj *unstructured.Unstructured, key string) (string, bool) {
	if obj == nil {
		return "", false
	}
	v, ok := obj.GetAnnotations()[key]
	return v, ok
}

func setAnnotation(obj *unstructured.Unstructured, key, value string) {
	a := obj.GetAnnotations()
	a[key] = value
	obj.SetAnnotations(a)
}
