package helm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/strvals"
)

// Values are the user's values for a chart, as `helm template` takes them. They are
// merged in Helm's order, each later one winning: Files in order, then SetJSON, Set,
// SetString, SetFile and SetLiteral, each in order. The chart's own values.yaml (and its
// sub-charts') lie below all of them; Helm coalesces those at render time.
type Values struct {
	// Files are values files (--values); "-" reads Stdin.
	Files []string
	// Set are key=value pairs with typed values (--set a.b=1,c[0]=x).
	Set []string
	// SetString are key=value pairs whose values stay strings (--set-string).
	SetString []string
	// SetFile are key=path pairs whose values are the files' contents (--set-file).
	SetFile []string
	// SetJSON are key=JSON pairs, or whole JSON objects (--set-json).
	SetJSON []string
	// SetLiteral are key=value pairs taken verbatim, commas and all (--set-literal).
	SetLiteral []string
}

// Merge returns the merged user values. It reads files from the local disk only (never a
// URL) and "-" from stdin, which may be nil when no "-" is given.
func (v Values) Merge(stdin io.Reader) (map[string]any, error) {
	read := reader{stdin: stdin}
	base := map[string]any{}
	for _, f := range v.Files {
		raw, err := read.file(f)
		if err != nil {
			return nil, err
		}
		m, err := loader.LoadValues(bytes.NewReader(raw))
		if err != nil {
			return nil, invalidf("values file %s: %v", f, err)
		}
		base = loader.MergeMaps(base, m)
	}
	for _, s := range v.SetJSON {
		if t := strings.TrimSpace(s); strings.HasPrefix(t, "{") {
			var m map[string]any
			if err := json.Unmarshal([]byte(t), &m); err != nil {
				return nil, invalidf("--set-json %s: %v", s, err)
			}
			base = loader.MergeMaps(base, m)
			continue
		}
		if err := strvals.ParseJSON(s, base); err != nil {
			return nil, invalidf("--set-json %s: %v", s, err)
		}
	}
	for _, s := range v.Set {
		if err := strvals.ParseInto(s, base); err != nil {
			return nil, invalidf("--set %s: %v", s, err)
		}
	}
	for _, s := range v.SetString {
		if err := strvals.ParseIntoString(s, base); err != nil {
			return nil, invalidf("--set-string %s: %v", s, err)
		}
	}
	for _, s := range v.SetFile {
		fileValue := func(rs []rune) (any, error) {
			data, err := read.file(string(rs))
			return string(data), err
		}
		if err := strvals.ParseIntoFile(s, base, fileValue); err != nil {
			return nil, invalidf("--set-file %s: %v", s, err)
		}
	}
	for _, s := range v.SetLiteral {
		if err := strvals.ParseLiteralInto(s, base); err != nil {
			return nil, invalidf("--set-literal %s: %v", s, err)
		}
	}
	return base, nil
}

// reader reads values files: "-" from stdin (once), anything else from the local disk.
type reader struct {
	stdin    io.Reader
	readDash bool
}

func (r *reader) file(path string) ([]byte, error) {
	if strings.TrimSpace(path) == "-" {
		if r.stdin == nil {
			return nil, invalidf("values file - given but no stdin is available")
		}
		if r.readDash {
			return nil, invalidf("values file - (stdin) is given more than once")
		}
		r.readDash = true
		data, err := io.ReadAll(r.stdin)
		if err != nil {
			return nil, fmt.Errorf("read values from stdin: %w", err)
		}
		return data, nil
	}
	if u, err := url.Parse(path); err == nil && u.Scheme != "" && len(u.Scheme) > 1 {
		return nil, invalidf("values file %s: only local files are read; download it first", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, invalidf("values file %s does not exist; check the path", path)
		}
		return nil, fmt.Errorf("read values file %s: %w", path, err)
	}
	return data, nil
}

// copyValues deep-copies values (maps, slices and scalars as YAML and strvals build them),
// so that rendering, which may change its input, leaves the copy as the user gave it.
func copyValues(v map[string]any) map[string]any {
	out := make(map[string]any, len(v))
	for k, e := range v {
		out[k] = copyValue(e)
	}
	return out
}

func copyValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return copyValues(t)
	case []any:
		s := make([]any, len(t))
		for i, e := range t {
			s[i] = copyValue(e)
		}
		return s
	}
	return v
}
