package helm

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/v2/loader"

	"github.com/shipsafe/shipsafe/pkg/manifest"
)

func TestRenderKubeVersionAPIVersionsAndSkipCRDs(t *testing.T) {
	t.Parallel()
	r := render(t, Chart{Path: webChart, Release: "rel", Namespace: "ns", KubeVersion: "1.29.3", APIVersions: []string{"example.com/v9"}, SkipCRDs: true})
	for _, o := range r.Objects {
		if o.GetKind() == "CustomResourceDefinition" || r.CRDs != 0 {
			t.Fatalf("SkipCRDs rendered CRD %s (CRDs = %d)", o.GetName(), r.CRDs)
		}
	}
	if withCRDs := render(t, Chart{Path: webChart, Release: "rel"}); withCRDs.CRDs == 0 {
		t.Fatal("the web chart has no CRDs: SkipCRDs is not tested")
	}
	if r.AppVersion != "2.0" {
		t.Errorf("AppVersion = %q, want 2.0", r.AppVersion)
	}
	_, err := Chart{Path: webChart, Release: "rel", KubeVersion: "one"}.Render(context.Background())
	if !errors.Is(err, manifest.ErrInvalid) || !strings.Contains(err.Error(), `--kube-version "one"`) {
		t.Errorf("bad --kube-version: %v, want an invalid-input error naming it", err)
	}
}

func TestRenderValuesAreTheUsersMerged(t *testing.T) {
	t.Parallel()
	r := render(t, Chart{Path: webChart, Release: "rel", Values: Values{Files: []string{valuesA}, Set: []string{"extra.n=3"}}})
	want, err := Values{Files: []string{valuesA}, Set: []string{"extra.n=3"}}.Merge(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.Values, want) {
		t.Errorf("Values = %v, want the merged user values %v", r.Values, want)
	}
	if _, ok := r.Values["replicas"]; ok && want["replicas"] == nil {
		t.Errorf("Values carry the chart's defaults: %v", r.Values)
	}
}

func TestPostRenderer(t *testing.T) {
	t.Parallel()
	script := filepath.Join(t.TempDir(), "pr.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\ncat\nprintf -- '---\\napiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: extra-'$1'}\\n'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	plain := render(t, Chart{Path: webChart, Release: "rel"})
	r := render(t, Chart{Path: webChart, Release: "rel", PostRenderer: &PostRenderer{Path: script, Args: []string{"x"}}})
	if len(r.Objects) != len(plain.Objects)+1 || find(r.Objects, "ConfigMap", "extra-x") == nil {
		t.Errorf("post-rendered objects %v; want the plain ones %v plus ConfigMap extra-x", keys(r.Objects), keys(plain.Objects))
	}
	fail := filepath.Join(t.TempDir(), "fail.sh")
	if err := os.WriteFile(fail, []byte("#!/bin/sh\necho broken >&2\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Chart{Path: webChart, Release: "rel", PostRenderer: &PostRenderer{Path: fail}}.Render(context.Background())
	if !errors.Is(err, manifest.ErrInvalid) || !strings.Contains(err.Error(), "broken") {
		t.Errorf("failing post-renderer: %v, want an invalid-input error with its stderr", err)
	}
}

// TestLocateFromRepository serves a chart repository over HTTP (an index.yaml the Helm
// SDK wrote) and locates charts in it by --repo URL with constraints.
func TestLocateFromRepository(t *testing.T) {
	t.Parallel()
	url := serveWebChartRepository(t, "1.0.0", "1.4.0", "2.0.0-rc.1")
	settings := isolatedHelmSettings(t)
	for _, tt := range []struct {
		ref     Ref
		want    string
		wantErr string
	}{
		{Ref{Name: "web", RepoURL: url, Version: "^1"}, "1.4.0", ""},
		{Ref{Name: "web", RepoURL: url}, "1.4.0", ""},
		{Ref{Name: "web", RepoURL: url, Devel: true}, "2.0.0-rc.1", ""},
		{Ref{Name: "web", RepoURL: url, Version: "~3"}, "", "chart web version ~3 in repository " + url},
		{Ref{Name: "nosuch/web"}, "", "repo nosuch not found"},
	} {
		l, err := tt.ref.Locate(settings)
		if tt.wantErr != "" {
			if !errors.Is(err, manifest.ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Locate(%+v) = %v; want an invalid-input error containing %q", tt.ref, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("Locate(%+v): %v", tt.ref, err)
			continue
		}
		ch, err := loader.Load(l.Path)
		if err != nil {
			t.Fatal(err)
		}
		if ch.Metadata.Version != tt.want || !strings.HasPrefix(l.Digest, "sha256:") {
			t.Errorf("Locate(%+v) = %s %s (version %s); want version %s with a digest", tt.ref, l.Path, l.Digest, ch.Metadata.Version, tt.want)
		}
	}
	l, err := Ref{Name: webChart}.Locate(settings)
	if err != nil || l.Path != webChart || l.Digest != "" {
		t.Errorf("a chart directory: %+v, %v; want its path and no digest", l, err)
	}
}
