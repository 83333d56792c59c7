package manifest

import (
	"math"
	"unicode/utf8"

	yamlv2 "go.yaml.in/yaml/v2"
)

// fastYAML decodes one YAML document into the values that sigs.k8s.io/yaml's
// YAMLToJSONStrict followed by utiljson.Unmarshal give (string-keyed maps, []any,
// strings, bools, nil, int64 for integers, float64 for other numbers), without
// rendering JSON and parsing it again: it parses with the same YAML library and mode,
// and converts only the values whose JSON round trip it reproduces exactly. ok is false
// for anything else (a syntax error, a non-string key, an integral float, an integer
// beyond int64, a string that is not UTF-8, another type): the caller takes the JSON
// round trip then, which also gives its errors.
func fastYAML(data []byte) (v any, ok bool) {
	var raw any
	if err := yamlv2.UnmarshalStrict(data, &raw); err != nil {
		return nil, false
	}
	return jsonValue(raw)
}

// jsonValue converts one value decoded by yaml.v2 (see fastYAML).
func jsonValue(x any) (any, bool) {
	switch x := x.(type) {
	case nil, bool:
		return x, true
	case string:
		return x, utf8.ValidString(x)
	case int:
		return int64(x), true
	case int64:
		return x, true
	case float64:
		// JSON renders a float that is not integral with a '.' or an exponent, which
		// reads back as the same float64; an integral one reads back as an integer.
		return x, !math.IsInf(x, 0) && !math.IsNaN(x) && x != math.Trunc(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			v, ok := jsonValue(e)
			if !ok {
				return nil, false
			}
			out[i] = v
		}
		return out, true
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			key, ok := k.(string)
			if !ok || !utf8.ValidString(key) {
				return nil, false
			}
			v, ok := jsonValue(e)
			if !ok {
				return nil, false
			}
			out[key] = v
		}
		return out, true
	}
	return nil, false
}
