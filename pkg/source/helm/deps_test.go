package helm

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/cli"
	"helm.sh/helm/v4/pkg/repo/v1"

	"github.com/shipsafe/shipsafe/pkg/manifest"
)

// TestDependencyUpdateFetchesFromRepository renders a chart whose dependency is missing
// from its charts/: refused (naming --dependency-update) without the option; with it,
// the newest version matching the constraint is fetched from a chart repository served
// over HTTP and rendered with the parent.
func TestDependencyUpdateFetchesFromRepository(t *testing.T) {
	t.Parallel()
	url := serveWebChartRepository(t, "1.0.0", "1.4.0", "2.0.0")
	parent := t.TempDir()
	writeTestFile(t, filepath.Join(parent, "Chart.yaml"), `apiVersion: v2
name: app
version: 0.1.0
dependencies:
- name: web
  version: "^1"
  repository: `+url+"\n")
	writeTestFile(t, filepath.Join(parent, "templates", "config.yaml"), `apiVersion: v1
kind: ConfigMap
metadata: {name: app-config}
data: {a: "1"}
`)
	settings := isolatedHelmSettings(t)
	_, err := Chart{Path: parent, Release: "rel", Settings: settings}.Render(context.Background())
	if !errors.Is(err, manifest.ErrInvalid) || !strings.Contains(err.Error(), "--dependency-update") {
		t.Fatalf("missing dependency without --dependency-update: %v; want an invalid-input error naming --dependency-update", err)
	}

	r := render(t, Chart{Path: parent, Release: "rel", Settings: settings, DependencyUpdate: &Ref{}})
	if _, err := os.Stat(filepath.Join(parent, "charts", "web-1.4.0.tgz")); err != nil {
		t.Errorf("charts/web-1.4.0.tgz (the newest ^1) was not fetched: %v", err)
	}
	sub := render(t, Chart{Path: webChart, Release: "rel"})
	if find(r.Objects, "ConfigMap", "app-config") == nil || len(r.Objects) != len(sub.Objects)+1 {
		t.Errorf("rendered %v; want ConfigMap app-config plus the dependency's %v", keys(r.Objects), keys(sub.Objects))
	}
}

// writeTestFile writes body to path, making its directories.
func writeTestFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// serveWebChartRepository serves, until the test ends, a chart repository over HTTP (an
// index.yaml the Helm SDK wrote) holding the web chart in each of versions, and returns
// its URL.
func serveWebChartRepository(t *testing.T, versions ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, v := range versions {
		ch, err := loader.Load(webChart)
		if err != nil {
			t.Fatal(err)
		}
		ch.Metadata.Version = v
		if _, err := chartutil.Save(ch, dir); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	idx, err := repo.IndexDirectory(dir, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := idx.WriteFile(filepath.Join(dir, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	return srv.URL
}

// isolatedHelmSettings are Helm's locations in a fresh directory: no user's repositories,
// cache or credentials.
func isolatedHelmSettings(t *testing.T) *cli.EnvSettings {
	home := t.TempDir()
	return &cli.EnvSettings{RepositoryConfig: filepath.Join(home, "repositories.yaml"), RepositoryCache: filepath.Join(home, "cache"),
		RegistryConfig: filepath.Join(home, "registry.json"), ContentCache: filepath.Join(home, "content"), PluginsDirectory: filepath.Join(home, "plugins")}
}
