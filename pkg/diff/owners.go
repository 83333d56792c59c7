package diff

import (
	"bytes"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
	"sigs.k8s.io/structured-merge-diff/v6/value"
)

// Owner is the field manager that last set a field, from the object's managedFields.
type Owner struct {
	// Manager is the field manager's name, e.g. "kubectl-scale", "kubectl-edit", "shipsafe".
	Manager string `json:"manager"`
	// Operation is "Apply" (server-side apply) or "Update" (create, update, patch).
	Operation string `json:"operation"`
	// Subresource is the subresource written, e.g. "scale"; empty for the object itself.
	Subresource string `json:"subresource,omitempty"`
	// Time is when this manager last changed any of its fields (managedFields keeps one
	// time per manager, not per field); zero when the server did not record it.
	Time time.Time `json:"time,omitzero"`
}

// String renders "kubectl-scale (Update of scale, 2025-01-02T15:04:05Z)".
func (o Owner) String() string {
	s := o.Manager + " (" + o.Operation
	if o.Subresource != "" {
		s += " of " + o.Subresource
	}
	if !o.Time.IsZero() {
		s += ", " + o.Time.UTC().Format(time.RFC3339)
	}
	return s + ")"
}

// managed is one managedFields entry with its parsed field set.
type managed struct {
	owner Owner
	set   *fieldpath.Set
}

// managersOf parses obj's managedFields. Entries that cannot be parsed are skipped:
// attribution is best effort and never fails a comparison.
func managersOf(obj *unstructured.Unstructured) []managed {
	if obj == nil {
		return nil
	}
	var out []managed
	for _, e := range obj.GetManagedFields() {
		if e.FieldsV1 == nil || e.FieldsType != "FieldsV1" {
			continue
		}
		set := &fieldpath.Set{}
		if err := set.FromJSON(bytes.NewReader(e.FieldsV1.Raw)); err != nil {
			continue
		}
		o := Owner{Manager: e.Manager, Operation: string(e.Operation), Subresource: e.Subresource}
		if e.Time != nil {
			o.Time = e.Time.UTC()
		}
		out = append(out, managed{owner: o, set: set})
	}
	return out
}

// ownerOf returns who last set the field at path among mgrs, leaving out the manager
// named except (shipsafe itself); when several managers own it, the most recent wins.
func ownerOf(mgrs []managed, path []step, except string) (Owner, bool) {
	var (
		best  Owner
		found bool
	)
	for _, m := range mgrs {
		if m.owner.Manager == except || !owns(m.set, path) {
			continue
		}
		if !found || m.owner.Time.After(best.Time) {
			best, found = m.owner, true
		}
	}
	return best, found
}

// owns reports whether set has the field at path as a member: each map key is a field
// name element, each list item the key, value or index element that matches the item.
func owns(set *fieldpath.Set, path []step) bool {
	if len(path) == 0 {
		return false
	}
	cur := set
	for i, s := range path {
		pe, ok := element(cur, s)
		if !ok {
			return false
		}
		if i == len(path)-1 {
			return cur.Members.Has(pe)
		}
		next, ok := cur.Children.Get(pe)
		if !ok {
			return false
		}
		cur = next
	}
	return false
}

// element finds the path element of set (a member or a child) that names step s.
func element(set *fieldpath.Set, s step) (fieldpath.PathElement, bool) {
	if !s.item {
		return fieldpath.FieldNameElement(s.field), true
	}
	var (
		found fieldpath.PathElement
		ok    bool
	)
	try := func(pe fieldpath.PathElement) {
		if !ok && matches(pe, s) {
			found, ok = pe, true
		}
	}
	set.Members.Iterate(try)
	set.Children.Iterate(try)
	return found, ok
}

// matches reports whether a list element pe names the item of step s.
func matches(pe fieldpath.PathElement, s step) bool {
	switch {
	case pe.Index != nil:
		return *pe.Index == s.index
	case pe.Value != nil:
		return value.Equals(*pe.Value, value.NewValueInterface(s.value))
	case pe.Key != nil:
		item, isMap := s.value.(map[string]any)
		if !isMap {
			return false
		}
		for _, f := range *pe.Key {
			v, has := item[f.Name]
			if !has || !value.Equals(f.Value, value.NewValueInterface(v)) {
				return false
			}
		}
		return true
	}
	return false
}
