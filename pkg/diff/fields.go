package diff

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
)

// FieldChange is one field whose value differs between two versions of an object.
type FieldChange struct {
	// Path names the field, e.g. ".spec.replicas" or
	// ".spec.template.spec.containers[name=app].env[name=VERSION].value"; list items are
	// named by a key field when the list has one, else by position ("[2]").
	Path string `json:"path"`
	// Before is the value in the first version, absent when the field is added.
	Before any `json:"before,omitempty"`
	// After is the value in the second version, absent when the field is removed.
	After any `json:"after,omitempty"`

	steps []step
}

// step is one element of a field path: a map key, or a list item.
type step struct {
	field string
	// For a list item: the item's position in the first version (-1 when absent), the
	// item itself (from the first version if there, else the second), and its label.
	item  bool
	index int
	value any
	label string
}

// listKeys are the fields that identify the items of a list of objects, in the order
// tried: the first one present, of a scalar type and unique on both sides is used
// (containers, env, volumes and ports by name; mounts by mountPath...).
var listKeys = []string{"name", "mountPath", "containerPort", "port", "ip", "type"}

// compareValues returns every field that differs between a and b (decoded JSON: maps,
// lists, scalars), ordered by path. Maps are compared key by key; lists of objects item
// by item, matched by a key field when they have one; lists of scalars as one value.
func compareValues(a, b any) []FieldChange {
	var out []FieldChange
	walk(nil, a, b, true, true, &out)
	return out
}

// walk compares a and b at path; hasA and hasB say whether each side has the field.
func walk(path []step, a, b any, hasA, hasB bool, out *[]FieldChange) {
	switch {
	case !hasA && !hasB:
		return
	case !hasA:
		*out = append(*out, change(path, nil, b))
		return
	case !hasB:
		*out = append(*out, change(path, a, nil))
		return
	}
	am, aIsMap := a.(map[string]any)
	bm, bIsMap := b.(map[string]any)
	if aIsMap && bIsMap {
		keys := make([]string, 0, len(am)+len(bm))
		for k := range am {
			keys = append(keys, k)
		}
		for k := range bm {
			if _, ok := am[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			av, okA := am[k]
			bv, okB := bm[k]
			walk(append(path, step{field: k}), av, bv, okA, okB, out)
		}
		return
	}
	al, aIsList := a.([]any)
	bl, bIsList := b.([]any)
	if aIsList && bIsList && (objectList(al) || objectList(bl)) {
		walkList(path, al, bl, out)
		return
	}
	if !equal(a, b) {
		*out = append(*out, change(path, a, b))
	}
}

// walkList compares two lists of objects, by key field when one fits, else by position.
func walkList(path []step, a, b []any, out *[]FieldChange) {
	key := listKey(a, b)
	if key == "" {
		for i := range max(len(a), len(b)) {
			var av, bv any
			if i < len(a) {
				av = a[i]
			}
			if i < len(b) {
				bv = b[i]
			}
			idx, val := -1, bv
			if i < len(a) {
				idx, val = i, av
			}
			st := step{item: true, index: idx, value: val, label: fmt.Sprint(i)}
			walk(append(path, st), av, bv, i < len(a), i < len(b), out)
		}
		return
	}
	aIdx := map[any]int{}
	for i, it := range a {
		aIdx[it.(map[string]any)[key]] = i
	}
	seen := map[any]bool{}
	// Items in b's order, then those only in a, so a change reads in the new order.
	for _, it := range b {
		id := it.(map[string]any)[key]
		seen[id] = true
		st := step{item: true, index: -1, value: it, label: fmt.Sprintf("%s=%v", key, id)}
		i, inA := aIdx[id]
		var av any
		if inA {
			st.index, st.value, av = i, a[i], a[i]
		}
		walk(append(path, st), av, it, inA, true, out)
	}
	for i, it := range a {
		id := it.(map[string]any)[key]
		if !seen[id] {
			st := step{item: true, index: i, value: it, label: fmt.Sprintf("%s=%v", key, id)}
			walk(append(path, st), it, nil, true, false, out)
		}
	}
}

// objectList reports whether l is a non-empty list of objects.
func objectList(l []any) bool {
	for _, it := range l {
		if _, ok := it.(map[string]any); !ok {
			return false
		}
	}
	return len(l) > 0
}

// listKey returns the first of listKeys that every item of a and b has, with a scalar
// value unique within each list; "" when none does.
func listKey(a, b []any) string {
	for _, k := range listKeys {
		if uniqueKey(a, k) && uniqueKey(b, k) {
			return k
		}
	}
	return ""
}

func uniqueKey(l []any, key string) bool {
	seen := map[any]bool{}
	for _, it := range l {
		m, ok := it.(map[string]any)
		if !ok {
			return false
		}
		v, ok := m[key]
		switch v.(type) {
		case string, int64, float64, bool:
		default:
			return false
		}
		if !ok || seen[v] {
			return false
		}
		seen[v] = true
	}
	return true
}

// equal compares two decoded JSON values; numbers compare by value whatever their Go
// type (int64 from one decoder, float64 from another).
func equal(a, b any) bool {
	if x, ok := number(a); ok {
		y, ok := number(b)
		return ok && x == y
	}
	return reflect.DeepEqual(a, b)
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

func change(path []step, before, after any) FieldChange {
	return FieldChange{Path: renderPath(path), Before: before, After: after, steps: slices.Clone(path)}
}

// plainField matches map keys that render without quotes.
var plainField = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// renderPath renders a path as ".spec.containers[name=app].image", quoting keys that
// are not plain identifiers: `.metadata.labels["app.kubernetes.io/name"]`.
func renderPath(path []step) string {
	var sb strings.Builder
	for _, s := range path {
		switch {
		case s.item:
			sb.WriteString("[" + s.label + "]")
		case plainField.MatchString(s.field):
			sb.WriteString("." + s.field)
		default:
			fmt.Fprintf(&sb, "[%q]", s.field)
		}
	}
	if sb.Len() == 0 {
		return "."
	}
	return sb.String()
}
