package schematest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestValidatorRejects shows the checker can fail: each document breaks one rule.
func TestValidatorRejects(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("obj.json", `{"$defs": {"ref": {"type": "object", "additionalProperties": false, "required": ["name"], "properties": {"name": {"type": "string"}}}}}`)
	write("s.json", `{"oneOf": [
		{"type": "object", "additionalProperties": false, "required": ["type", "n"], "properties": {"type": {"const": "a"}, "n": {"type": "integer", "minimum": 0}}},
		{"type": "object", "additionalProperties": false, "required": ["type", "o"], "properties": {"type": {"enum": ["b", "c"]}, "o": {"$ref": "obj.json#/$defs/ref"}, "l": {"type": "array", "items": {"type": ["string", "null"]}}}}
	]}`)
	v, err := Load(filepath.Join(dir, "s.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ok := range []string{`{"type":"a","n":3}`, `{"type":"b","o":{"name":"x"},"l":["x",null]}`} {
		if errs := v.Validate([]byte(ok)); errs != nil {
			t.Errorf("%s: %v", ok, errs)
		}
	}
	for doc, want := range map[string]string{
		`{"type":"a","n":1.5}`:                  "type number, want integer",
		`{"type":"a","n":-1}`:                   "below the minimum",
		`{"type":"a"}`:                          `missing required "n"`,
		`{"type":"a","n":1,"x":1}`:              `unexpected property "x"`,
		`{"type":"d","o":{"name":"x"}}`:         "want one of",
		`{"type":"b","o":{"name":1}}`:           "$.o.name: type number",
		`{"type":"b","o":{"name":"x"},"l":[1]}`: "$.l[0]: type number",
		`not json`:                              "not JSON",
	} {
		errs := strings.Join(v.Validate([]byte(doc)), "\n")
		if !strings.Contains(errs, want) {
			t.Errorf("%s: errors %q lack %q", doc, errs, want)
		}
	}
}
