// Package schematest validates JSON documents against the project's JSON Schemas in
// tests. It implements the subset of JSON Schema 2020-12 those schemas use: type,
// const, enum, properties, required, additionalProperties (false), items, minimum,
// oneOf, allOf and $ref (to "#/$defs/..." in the same file or to a sibling file). An
// unknown keyword fails validation rather than being ignored, so a schema cannot
// silently outgrow its checker.
package schematest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
)

// Validator validates documents against one schema file and the files it refers to.
type Validator struct {
	dir   string
	files map[string]map[string]any
	root  string
}

// Load reads the schema at path.
func Load(path string) (*Validator, error) {
	v := &Validator{dir: filepath.Dir(path), files: map[string]map[string]any{}, root: filepath.Base(path)}
	if _, err := v.file(v.root); err != nil {
		return nil, err
	}
	return v, nil
}

func (v *Validator) file(name string) (map[string]any, error) {
	if s, ok := v.files[name]; ok {
		return s, nil
	}
	b, err := os.ReadFile(filepath.Join(v.dir, name))
	if err != nil {
		return nil, fmt.Errorf("read schema: %w", err)
	}
	var s map[string]any
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("parse schema %s: %w", name, err)
	}
	v.files[name] = s
	return s, nil
}

// Validate checks one JSON document and returns every violation found, each naming its
// JSON path; nil when it is valid.
func (v *Validator) Validate(doc []byte) []string {
	var x any
	if err := json.Unmarshal(doc, &x); err != nil {
		return []string{"not JSON: " + err.Error()}
	}
	return v.check(v.root, v.files[v.root], x, "$")
}

var known = map[string]bool{
	"$schema": true, "$id": true, "$defs": true, "title": true, "description": true, "format": true,
	"type": true, "const": true, "enum": true, "properties": true, "required": true,
	"additionalProperties": true, "items": true, "minimum": true, "oneOf": true, "allOf": true, "$ref": true,
}

func (v *Validator) check(file string, s map[string]any, x any, path string) []string {
	var errs []string
	fail := func(f string, a ...any) { errs = append(errs, path+": "+fmt.Sprintf(f, a...)) }
	for k := range s {
		if !known[k] {
			fail("schema keyword %q is not supported by schematest", k)
		}
	}
	if ref, ok := s["$ref"].(string); ok {
		rf, rs, err := v.resolve(file, ref)
		if err != nil {
			fail("%v", err)
		} else {
			errs = append(errs, v.check(rf, rs, x, path)...)
		}
	}
	if t, ok := s["type"]; ok && !typeMatches(t, x) {
		fail("type %s, want %v", typeName(x), t)
		return errs
	}
	if c, ok := s["const"]; ok && !reflect.DeepEqual(c, x) {
		fail("%v, want %v", x, c)
	}
	if e, ok := s["enum"].([]any); ok && !contains(e, x) {
		fail("%v, want one of %v", x, e)
	}
	if m, ok := s["minimum"].(float64); ok {
		if n, isNum := x.(float64); isNum && n < m {
			fail("%v below the minimum %v", n, m)
		}
	}
	if obj, ok := x.(map[string]any); ok {
		errs = append(errs, v.checkObject(file, s, obj, path)...)
	}
	if arr, ok := x.([]any); ok {
		if items, ok := s["items"].(map[string]any); ok {
			for i, el := range arr {
				errs = append(errs, v.check(file, items, el, fmt.Sprintf("%s[%d]", path, i))...)
			}
		}
	}
	if all, ok := s["allOf"].([]any); ok {
		for _, sub := range all {
			errs = append(errs, v.check(file, sub.(map[string]any), x, path)...)
		}
	}
	if one, ok := s["oneOf"].([]any); ok {
		var matched int
		var why []string
		for _, sub := range one {
			if e := v.check(file, sub.(map[string]any), x, path); len(e) == 0 {
				matched++
			} else {
				why = append(why, strings.Join(e, "; "))
			}
		}
		if matched != 1 {
			fail("matches %d of oneOf, want 1 (%s)", matched, strings.Join(why, " | "))
		}
	}
	return errs
}

func (v *Validator) checkObject(file string, s map[string]any, obj map[string]any, path string) []string {
	var errs []string
	props, _ := s["properties"].(map[string]any)
	if req, ok := s["required"].([]any); ok {
		for _, r := range req {
			if _, ok := obj[r.(string)]; !ok {
				errs = append(errs, fmt.Sprintf("%s: missing required %q", path, r))
			}
		}
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ps, ok := props[k].(map[string]any)
		if !ok {
			if ap, set := s["additionalProperties"].(bool); set && !ap {
				errs = append(errs, fmt.Sprintf("%s: unexpected property %q", path, k))
			}
			continue
		}
		errs = append(errs, v.check(file, ps, obj[k], path+"."+k)...)
	}
	return errs
}

// resolve finds the schema a $ref names: "#/$defs/x", "other.json" or
// "other.json#/$defs/x".
func (v *Validator) resolve(file, ref string) (string, map[string]any, error) {
	name, pointer, _ := strings.Cut(ref, "#")
	if name == "" {
		name = file
	}
	s, err := v.file(name)
	if err != nil {
		return "", nil, err
	}
	cur := any(s)
	for _, part := range strings.Split(strings.Trim(pointer, "/"), "/") {
		if part == "" {
			continue
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return "", nil, fmt.Errorf("$ref %s: not found", ref)
		}
		if cur, ok = m[part]; !ok {
			return "", nil, fmt.Errorf("$ref %s: not found", ref)
		}
	}
	m, ok := cur.(map[string]any)
	if !ok {
		return "", nil, fmt.Errorf("$ref %s: not a schema", ref)
	}
	return name, m, nil
}

func typeMatches(t any, x any) bool {
	switch t := t.(type) {
	case string:
		return typeIs(t, x)
	case []any:
		for _, one := range t {
			if s, ok := one.(string); ok && typeIs(s, x) {
				return true
			}
		}
	}
	return false
}

func typeIs(t string, x any) bool {
	switch t {
	case "integer":
		n, ok := x.(float64)
		return ok && n == float64(int64(n))
	case "number":
		_, ok := x.(float64)
		return ok
	}
	return typeName(x) == t
}

func typeName(x any) string {
	switch x.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", x)
}

func contains(list []any, x any) bool {
	for _, e := range list {
		if reflect.DeepEqual(e, x) {
			return true
		}
	}
	return false
}
