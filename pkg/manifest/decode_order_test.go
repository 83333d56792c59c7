package manifest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestDecodeStreamKeepsOrderAcrossWorkers: documents are parsed in parallel, yet objects
// and errors come out in document order with their own lines and document numbers.
func TestDecodeStreamKeepsOrderAcrossWorkers(t *testing.T) {
	t.Parallel()
	const n = 300
	var b strings.Builder
	var wantNames []string
	var wantBadLines []int
	line := 1
	for i := range n {
		if i > 0 {
			b.WriteString("---\n")
			line++
		}
		if i%97 == 5 {
			wantBadLines = append(wantBadLines, line)
			b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [unclosed\n")
			line += 3
			continue
		}
		name := fmt.Sprintf("cm-%03d", i)
		wantNames = append(wantNames, name)
		fmt.Fprintf(&b, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n", name)
		line += 4
	}
	locs, errs := decodeStream("many.yaml", []byte(b.String()))
	if len(locs) != len(wantNames) {
		t.Fatalf("decoded %d objects, want %d", len(locs), len(wantNames))
	}
	for i, l := range locs {
		if got := l.obj.GetName(); got != wantNames[i] {
			t.Fatalf("object %d is %s, want %s (order lost)", i, got, wantNames[i])
		}
		if i > 0 && l.loc.Document <= locs[i-1].loc.Document {
			t.Fatalf("object %d has document %d after document %d", i, l.loc.Document, locs[i-1].loc.Document)
		}
	}
	if len(errs) != len(wantBadLines) {
		t.Fatalf("got %d errors, want %d: %v", len(errs), len(wantBadLines), errs)
	}
	for i, err := range errs {
		var de *DocumentError
		if !errors.As(err, &de) {
			t.Fatalf("error %d is %T, want *DocumentError", i, err)
		}
		if de.Line != wantBadLines[i] {
			t.Errorf("error %d names line %d, want %d", i, de.Line, wantBadLines[i])
		}
	}
}
