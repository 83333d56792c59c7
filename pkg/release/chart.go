package release

// Chart is what a revision keeps of the Helm chart it was rendered from, as Helm's
// release records keep it: enough to say which chart and version run, and to show the
// values and notes it was deployed with (`shipsafe get values|notes`).
type Chart struct {
	// Name, Version and AppVersion come from the chart's Chart.yaml.
	Name       string `json:"name"`
	Version    string `json:"version"`
	AppVersion string `json:"appVersion,omitempty"`
	// Ref is the chart as the user named it: a path, "repo/name", "oci://...".
	Ref string `json:"ref,omitempty"`
	// Digest is "sha256:<hex>" of the chart archive; empty for a chart directory.
	Digest string `json:"digest,omitempty"`
	// Values are the user-supplied values, files and --set flags merged, as `helm get
	// values` shows them (not the chart's defaults).
	Values map[string]any `json:"values,omitempty"`
	// Notes is the chart's rendered NOTES.txt.
	Notes string `json:"notes,omitempty"`
	// CRDs name the CustomResourceDefinitions of the chart's crds/ directories (its own
	// and its sub-charts'), which follow Helm's rule: created when absent, never upgraded
	// (unless the deploy asks: --update-crds) and never deleted (unless the uninstall
	// asks: --delete-crds). The revision's Objects hold those of them it created or
	// updated, not those it found and left as they were. Records written before this
	// field existed have none: their CRDs are ordinary objects of the release.
	CRDs []ObjectRef `json:"crds,omitempty"`
}

// DeepCopy returns a copy of c that shares no memory with it (nil for nil).
func (c *Chart) DeepCopy() *Chart {
	if c == nil {
		return nil
	}
	out := *c
	if c.Values != nil {
		out.Values = copyValue(c.Values).(map[string]any)
	}
	if c.CRDs != nil {
		out.CRDs = append([]ObjectRef(nil), c.CRDs...)
	}
	return &out
}

// String names the chart as "name-version", as Helm's history shows it.
func (c *Chart) String() string {
	if c == nil {
		return ""
	}
	return c.Name + "-" + c.Version
}

// copyValue deep-copies a tree of maps, slices and scalars as YAML and JSON decode it.
func copyValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[k] = copyValue(e)
		}
		return m
	case []any:
		s := make([]any, len(t))
		for i, e := range t {
			s[i] = copyValue(e)
		}
		return s
	}
	return v
}
