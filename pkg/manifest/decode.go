package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"

	"github.com/shipsafe/shipsafe/internal/fanout"
)

// StdinName is the source name used for objects read from standard input.
const StdinName = "<stdin>"

// located is an object with the place it was read from.
type located struct {
	obj *unstructured.Unstructured
	loc Location
}

// Decode reads one stream of YAML documents or JSON objects, named source in errors (a file
// path, StdinName, or e.g. "helm chart web"), and returns its objects in order: empty and
// comment-only documents are skipped, List kinds are flattened, and every object is
// checked (apiVersion, kind, a valid metadata.name, no duplicates). All problems found are
// returned together, joined; each matches ErrInvalid. I/O errors from r are wrapped.
func Decode(source string, r io.Reader) ([]*unstructured.Unstructured, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", source, err)
	}
	locs, errs := decodeStream(source, data)
	errs = append(errs, duplicates(locs)...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return objects(locs), nil
}

// objects drops the locations.
func objects(locs []located) []*unstructured.Unstructured {
	out := make([]*unstructured.Unstructured, len(locs))
	for i, l := range locs {
		out[i] = l.obj
	}
	return out
}

// decodeStream parses data as a JSON stream when it starts with '{' and parses as one,
// otherwise as a multi-document YAML stream (which also accepts JSON with YAML's leniency,
// e.g. a trailing comma).
func decodeStream(source string, data []byte) ([]located, []error) {
	format := "YAML"
	if bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("{")) {
		if locs, errs, ok := decodeJSONStream(source, data); ok {
			return locs, errs
		}
		format = "JSON" // not valid JSON: let the YAML parser, a superset, report the line
	}
	docs := splitYAML(data)
	parsed := make([]parsedDocument, len(docs))
	fanout.Chunks(len(docs), minChunk, func(i int) {
		parsed[i] = parseYAMLDocument(source, format, docs[i])
	})
	var (
		locs []located
		errs []error
	)
	for _, p := range parsed {
		locs, errs = append(locs, p.locs...), append(errs, p.errs...)
	}
	return locs, errs
}

// parsedDocument is what one document of a stream decodes to.
type parsedDocument struct {
	locs []located
	errs []error
}

// parseYAMLDocument decodes one document of a YAML stream (nothing for an empty or
// comment-only one).
func parseYAMLDocument(source, format string, d rawDoc) parsedDocument {
	if d.first == 0 {
		return parsedDocument{}
	}
	loc := Location{Source: source, Line: d.first, Document: d.index}
	if v, ok := fastYAML(d.data); ok {
		l, e := decodeValue(v, loc)
		return parsedDocument{locs: l, errs: e}
	}
	js, err := yaml.YAMLToJSONStrict(d.data)
	if err != nil {
		return parsedDocument{errs: []error{&DocumentError{
			Location: loc,
			Reason:   "malformed " + format + ": " + yamlMessage(err, d.start),
			Hint:     "fix the syntax near that line (indentation, a missing ':', a repeated key, an unclosed quote or bracket)",
			Err:      err,
		}}}
	}
	l, e := decodeDocument(js, loc)
	return parsedDocument{locs: l, errs: e}
}

// minChunk is the fewest documents worth a goroutine of their own.
const minChunk = 32

// decodeJSONStream parses data as concatenated JSON values. ok is false when data is not
// valid JSON, so the caller can fall back to YAML (which accepts flow mappings and reports
// lines).
func decodeJSONStream(source string, data []byte) (locs []located, errs []error, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	for i := 1; ; i++ {
		start := int(dec.InputOffset())
		var raw json.RawMessage
		if err := dec.Decode(&raw); err == io.EOF {
			return locs, errs, true
		} else if err != nil {
			return nil, nil, false
		}
		off := start + len(data[start:]) - len(bytes.TrimLeft(data[start:], " \t\r\n"))
		l, e := decodeDocument(raw, Location{Source: source, Line: lineAt(data, off), Document: i})
		locs, errs = append(locs, l...), append(errs, e...)
	}
}

// decodeDocument turns the JSON of one document into objects, flattening a List.
func decodeDocument(js []byte, loc Location) ([]located, []error) {
	var v any
	if err := utiljson.Unmarshal(js, &v); err != nil {
		return nil, []error{&DocumentError{Location: loc, Reason: "malformed JSON: " + err.Error(),
			Hint: "fix the JSON syntax", Err: err}}
	}
	return decodeValue(v, loc)
}

// decodeValue turns one document, decoded as JSON values are (utiljson: integers as
// int64), into objects, flattening a List.
func decodeValue(v any, loc Location) ([]located, []error) {
	if v == nil {
		return nil, nil // empty document
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, []error{notAMapping(loc, v)}
	}
	if !isList(m) {
		obj, err := newObject(m, loc)
		if err != nil {
			return nil, []error{err}
		}
		return []located{{obj: obj, loc: loc}}, nil
	}
	items, ok := m["items"].([]any)
	if !ok && m["items"] != nil {
		return nil, []error{&DocumentError{Location: loc, Reason: fmt.Sprintf("%v items is not a list", m["kind"]),
			Hint: "write items as a YAML sequence of objects"}}
	}
	var (
		locs []located
		errs []error
	)
	for i, it := range items {
		iloc := loc
		iloc.Item = i + 1
		im, ok := it.(map[string]any)
		if !ok {
			errs = append(errs, notAMapping(iloc, it))
			continue
		}
		obj, err := newObject(im, iloc)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		locs = append(locs, located{obj: obj, loc: iloc})
	}
	return locs, errs
}

// isList reports whether m is a List kind: "List" itself, or any kind ending in "List"
// that has a top-level items field.
func isList(m map[string]any) bool {
	kind, _ := m["kind"].(string)
	if kind == "List" {
		return true
	}
	_, hasItems := m["items"]
	return hasItems && strings.HasSuffix(kind, "List")
}

// notAMapping reports a document whose top level is not an object.
func notAMapping(loc Location, v any) error {
	what := "a scalar"
	if _, ok := v.([]any); ok {
		what = "a list"
	}
	return &DocumentError{Location: loc, Reason: "document is " + what + ", not an object",
		Hint: "each document must be a mapping with apiVersion, kind and metadata; check the indentation and the --- separators"}
}

// yamlLine matches the line numbers the YAML parser puts in its messages.
var yamlLine = regexp.MustCompile(`line (\d+)`)

// yamlMessage turns a YAML parser error into one line whose line numbers count from the
// start of the stream rather than the start of the document (which begins at line start).
func yamlMessage(err error, start int) string {
	msg := strings.TrimPrefix(err.Error(), "error converting YAML to JSON: ")
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = yamlLine.ReplaceAllStringFunc(msg, func(s string) string {
		n, convErr := strconv.Atoi(strings.TrimPrefix(s, "line "))
		if convErr != nil {
			return s
		}
		return "line " + strconv.Itoa(n+start-1)
	})
	fields := strings.Fields(strings.ReplaceAll(msg, "unmarshal errors:\n", ""))
	return strings.Join(fields, " ")
}
