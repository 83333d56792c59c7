package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/cli"
	"helm.sh/helm/v4/pkg/getter"
	"helm.sh/helm/v4/pkg/repo/v1"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// infoChart is a small chart whose objects are ready at once (a ConfigMap naming the
// chart version and a value, and a Secret), with a test hook and NOTES.txt: enough to
// tell which chart version and values a deploy used.
func infoChart(t *testing.T, version string) string {
	t.Helper()
	return writeChart(t, map[string]string{
		"Chart.yaml":  "apiVersion: v2\nname: info\nversion: " + version + "\nappVersion: \"7.1\"\n",
		"values.yaml": "greeting: hello\npassword: default-secret\nnested:\n  list: [a, b]\n",
		"templates/cm.yaml": `apiVersion: v1
kind: ConfigMap
metadata: {name: {{ .Release.Name }}-info}
data:
  chartVersion: {{ .Chart.Version | quote }}
  greeting: {{ .Values.greeting | quote }}
`,
		"templates/secret.yaml": `apiVersion: v1
kind: Secret
metadata: {name: {{ .Release.Name }}-creds}
stringData:
  password: {{ .Values.password | quote }}
`,
		"templates/tests/ping.yaml": `apiVersion: v1
kind: Pod
metadata:
  name: {{ .Release.Name }}-ping
  annotations: {"helm.sh/hook": test}
spec:
  restartPolicy: Never
  containers: [{name: ping, image: busybox, command: [wget, "{{ .Release.Name }}"]}]
`,
		"templates/NOTES.txt": "Thanks for deploying {{ .Release.Name }} with info {{ .Chart.Version }}; it greets {{ .Values.greeting }}.\n",
	})
}

// writeChart writes files (path -> content) as a chart directory and returns it.
func writeChart(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "chart")
	for name, content := range files {
		p := filepath.Join(dir, name)
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, []byte(content), 0o644))
	}
	return dir
}

// packageChart packages the chart directory into dir, as `helm package` does, and
// returns the archive's path.
func packageChart(t *testing.T, chartDir, dir string) string {
	t.Helper()
	ch, err := loader.LoadDir(chartDir)
	must(t, err)
	p, err := chartutil.Save(ch, dir)
	must(t, err)
	return p
}

// fileDigest returns "sha256:<hex>" of the file at p.
func fileDigest(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	must(t, err)
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// chartRepo is a chart repository the test serves over HTTP on 127.0.0.1, with basic auth.
type chartRepo struct {
	url, user, password string
	// archives maps a chart version to its archive on disk.
	archives map[string]string
}

// serveChartRepo packages the info chart in each version, writes the repository's
// index.yaml with the Helm SDK, and serves the directory with Go's file server behind
// basic auth.
func serveChartRepo(t *testing.T, versions ...string) *chartRepo {
	t.Helper()
	dir := t.TempDir()
	r := &chartRepo{user: "charts", password: "s3cret-repo", archives: map[string]string{}}
	for _, v := range versions {
		r.archives[v] = packageChart(t, infoChart(t, v), dir)
	}
	files := http.FileServer(http.Dir(dir))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if u, p, ok := req.BasicAuth(); !ok || u != r.user || p != r.password {
			w.Header().Set("WWW-Authenticate", `Basic realm="charts"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		files.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.url = srv.URL
	idx, err := repo.IndexDirectory(dir, srv.URL)
	must(t, err)
	idx.SortEntries()
	must(t, idx.WriteFile(filepath.Join(dir, "index.yaml"), 0o644))
	return r
}

// helmHome returns HELM_* variables that point Helm's config, cache and data at fresh
// temporary directories, with the settings they give.
func helmHome(t *testing.T) ([]string, *cli.EnvSettings) {
	t.Helper()
	root := t.TempDir()
	s := &cli.EnvSettings{
		RepositoryConfig: filepath.Join(root, "config", "repositories.yaml"),
		RepositoryCache:  filepath.Join(root, "cache", "repository"),
		RegistryConfig:   filepath.Join(root, "config", "registry", "config.json"),
		ContentCache:     filepath.Join(root, "cache", "content"),
		PluginsDirectory: filepath.Join(root, "data", "plugins"),
	}
	return []string{
		"HELM_CONFIG_HOME=" + filepath.Join(root, "config"),
		"HELM_CACHE_HOME=" + filepath.Join(root, "cache"),
		"HELM_DATA_HOME=" + filepath.Join(root, "data"),
		"HELM_REPOSITORY_CONFIG=" + s.RepositoryConfig,
		"HELM_REPOSITORY_CACHE=" + s.RepositoryCache,
		"HELM_REGISTRY_CONFIG=" + s.RegistryConfig,
		"HELM_CONTENT_CACHE=" + s.ContentCache,
		"HELM_PLUGINS=" + s.PluginsDirectory,
	}, s
}

// addRepo does what `helm repo add NAME URL --username --password` does: it writes the
// repository into the repositories file and its index into the cache.
func addRepo(t *testing.T, s *cli.EnvSettings, name string, r *chartRepo) {
	t.Helper()
	entry := &repo.Entry{Name: name, URL: r.url, Username: r.user, Password: r.password}
	cr, err := repo.NewChartRepository(entry, getter.All(s))
	must(t, err)
	cr.CachePath = s.RepositoryCache
	_, err = cr.DownloadIndexFile()
	must(t, err)
	f := repo.NewFile()
	f.Update(entry)
	must(t, os.MkdirAll(filepath.Dir(s.RepositoryConfig), 0o755))
	must(t, f.WriteFile(s.RepositoryConfig, 0o600))
}

// recordedChart is the chart of a revision in `history -o json`.
type recordedChart struct {
	Revision int `json:"revision"`
	Chart    *struct {
		Name       string `json:"name"`
		Version    string `json:"version"`
		AppVersion string `json:"appVersion"`
		Ref        string `json:"ref"`
		Digest     string `json:"digest"`
	} `json:"chart"`
}

// wantChartRecorded checks that history (JSON and text) and status show revision rev
// of rel as chart info at version, with digest.
func wantChartRecorded(t *testing.T, ctx context.Context, e *env, ns, rel string, rev int, version, digest string) {
	t.Helper()
	r := e.shipsafe(t, ctx, "-n", ns, "history", rel, "-o", "json")
	wantExit(t, r, 0)
	var revs []recordedChart
	must(t, json.Unmarshal([]byte(r.stdout), &revs))
	var got *recordedChart
	for i := range revs {
		if revs[i].Revision == rev {
			got = &revs[i]
		}
	}
	switch {
	case got == nil:
		t.Errorf("revision %d not in history:\n%s", rev, r.stdout)
	case got.Chart == nil:
		t.Errorf("revision %d records no chart:\n%s", rev, r.stdout)
	case got.Chart.Name != "info" || got.Chart.Version != version || got.Chart.AppVersion != "7.1" || got.Chart.Digest != digest:
		t.Errorf("revision %d records chart %+v, want info %s (app 7.1) with digest %s", rev, *got.Chart, version, digest)
	}
	r = e.shipsafe(t, ctx, "-n", ns, "history", rel)
	wantContains(t, "history", r.stdout, "info-"+version)
	r = e.shipsafe(t, ctx, "-n", ns, "status", rel)
	wantContains(t, "status", r.stdout, "chart:     info-"+version+" ("+digest+")")
}

// TestChartFromHTTPRepository deploys a chart from a chart repository served over HTTP
// with basic auth: by --repo URL with a version constraint, then as repo/name from the
// user's Helm repositories file and cache. A version the repository lacks and bad
// credentials are refused with exit 2 and change nothing.
func TestChartFromHTTPRepository(t *testing.T) {
	t.Parallel()
	helmEnv, settings := helmHome(t)
	e := setup(t).withEnv(helmEnv...)
	r := serveChartRepo(t, "1.0.0", "1.1.0", "2.0.0")
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// --repo URL with a constraint: ^1.0 is 1.1.0, the newest 1.x.
	deploy := func(extra ...string) result {
		return e.shipsafe(t, ctx, append([]string{"-n", ns, "deploy", "app", "--timeout", "1m"}, extra...)...)
	}
	res := deploy("--chart", "info", "--repo", r.url, "--version", "^1.0", "--username", r.user, "--password", r.password)
	wantExit(t, res, 0)
	wantConfig(t, ctx, e, ns, "app-info", map[string]string{"chartVersion": "1.1.0"})
	wantChartRecorded(t, ctx, e, ns, "app", 1, "1.1.0", fileDigest(t, r.archives["1.1.0"]))

	// repo/name from the repositories file (helm repo add), credentials and all.
	addRepo(t, settings, "acme", r)
	res = deploy("--chart", "acme/info", "--version", ">=2.0.0 <3")
	wantExit(t, res, 0)
	wantConfig(t, ctx, e, ns, "app-info", map[string]string{"chartVersion": "2.0.0"})
	wantChartRecorded(t, ctx, e, ns, "app", 2, "2.0.0", fileDigest(t, r.archives["2.0.0"]))

	// A version the repository lacks, and wrong credentials: exit 2, nothing changed.
	for _, tt := range []struct {
		name string
		args []string
		want []string
	}{
		{"no such version", []string{"--chart", "acme/info", "--version", "~3.1"}, []string{"chart acme/info version ~3.1", "helm repo update"}},
		{"no such version at --repo", []string{"--chart", "info", "--repo", r.url, "--version", "9.9.9", "--username", r.user, "--password", r.password},
			[]string{"chart info version 9.9.9 in repository " + r.url}},
		{"bad credentials", []string{"--chart", "info", "--repo", r.url, "--version", "^1.0", "--username", r.user, "--password", "wrong"},
			[]string{"chart info version ^1.0 in repository " + r.url, "401", "credentials"}},
	} {
		res := deploy(tt.args...)
		wantExit(t, res, 2)
		wantContains(t, tt.name, res.stderr, tt.want...)
	}
	if revs := e.history(t, ctx, ns, "app"); len(revs) != 2 {
		t.Errorf("refused deploys changed the history: %s", statuses(revs))
	}
	wantConfig(t, ctx, e, ns, "app-info", map[string]string{"chartVersion": "2.0.0"})
}
