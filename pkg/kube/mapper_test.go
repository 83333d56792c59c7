package kube

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// countingMapper maps the kinds in known, counting the RESTMapping calls it answers.
type countingMapper struct {
	meta.ResettableRESTMapper // nil: only the methods below are called
	known                     map[schema.GroupKind]string
	calls, resets             int
}

func (c *countingMapper) RESTMapping(gk schema.GroupKind, _ ...string) (*meta.RESTMapping, error) {
	c.calls++
	res, ok := c.known[gk]
	if !ok {
		return nil, &meta.NoKindMatchError{GroupKind: gk}
	}
	return &meta.RESTMapping{Resource: schema.GroupVersionResource{Version: "v1", Resource: res}, Scope: meta.RESTScopeNamespace}, nil
}

func (c *countingMapper) Reset() { c.resets++ }

func TestMemoMapper(t *testing.T) {
	t.Parallel()
	cm, widget := schema.GroupKind{Kind: "ConfigMap"}, schema.GroupKind{Group: "example.com", Kind: "Widget"}
	under := &countingMapper{known: map[schema.GroupKind]string{cm: "configmaps"}}
	m := NewMemoMapper(under)
	lookup := func(gk schema.GroupKind, versions ...string) *meta.RESTMapping {
		t.Helper()
		r, err := m.RESTMapping(gk, versions...)
		if err != nil {
			t.Fatalf("RESTMapping(%s): %v", gk, err)
		}
		return r
	}

	first := lookup(cm, "v1")
	first.Resource.Resource = "changed by a caller"
	if again := lookup(cm, "v1"); again.Resource.Resource != "configmaps" || under.calls != 1 {
		t.Errorf("second look-up: %q after %d calls of the mapper; want configmaps from memory (1 call)", again.Resource.Resource, under.calls)
	}
	lookup(cm) // other versions: asked
	if under.calls != 2 {
		t.Errorf("a look-up with other versions made %d calls in all, want 2", under.calls)
	}

	// A kind not served yet is asked again each time, and a NoMatch forgets the rest.
	for range 2 {
		if _, err := m.RESTMapping(widget, "v1"); !meta.IsNoMatchError(err) {
			t.Fatalf("unknown kind: %v, want a NoMatch error", err)
		}
	}
	if under.calls != 4 {
		t.Errorf("two look-ups of an unknown kind: %d calls in all, want 4", under.calls)
	}
	lookup(cm, "v1")
	if under.calls != 5 {
		t.Errorf("after a NoMatch, a known kind made %d calls in all, want 5 (asked again)", under.calls)
	}

	// Once its CRD is served, the kind is found; Reset forgets and resets the mapper.
	under.known[widget] = "widgets"
	if r := lookup(widget, "v1"); r.Resource.Resource != "widgets" {
		t.Errorf("widget maps to %q", r.Resource.Resource)
	}
	m.Reset()
	lookup(cm, "v1")
	if under.resets != 1 || under.calls != 7 {
		t.Errorf("after Reset: %d resets, %d calls in all; want 1 and 7", under.resets, under.calls)
	}
}
