package e2e

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd" // the registry's basic auth
	"github.com/distribution/distribution/v3/registry/handlers"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory" // the registry's storage
	"golang.org/x/crypto/bcrypt"

	"helm.sh/helm/v4/pkg/cli"
	"helm.sh/helm/v4/pkg/registry"

	"github.com/shipsafe/shipsafe/internal/clustertest"
)

// ociRegistry is a CNCF distribution registry served by the test on 127.0.0.1 over plain
// HTTP, with htpasswd basic auth and in-memory storage.
type ociRegistry struct {
	host, user, password string
}

// serveOCIRegistry starts the registry for the test's lifetime.
func serveOCIRegistry(t *testing.T) *ociRegistry {
	t.Helper()
	r := &ociRegistry{user: "pusher", password: "s3cret-oci"}
	hash, err := bcrypt.GenerateFromPassword([]byte(r.password), bcrypt.MinCost)
	must(t, err)
	htpasswd := filepath.Join(t.TempDir(), "htpasswd")
	must(t, os.WriteFile(htpasswd, fmt.Appendf(nil, "%s:%s\n", r.user, hash), 0o600))
	config := &configuration.Configuration{
		Storage: configuration.Storage{"inmemory": configuration.Parameters{}},
		Auth:    configuration.Auth{"htpasswd": configuration.Parameters{"realm": "test", "path": htpasswd}},
	}
	config.Log.Level = "error"
	ctx, cancel := context.WithCancel(context.Background())
	srv := httptest.NewServer(handlers.NewApp(ctx, config))
	t.Cleanup(func() { srv.Close(); cancel() })
	r.host = strings.TrimPrefix(srv.URL, "http://")
	return r
}

// push logs in to the registry with the credentials file of s (as `helm registry login`
// does) and pushes the archive (as `helm push` does) to oci://HOST/charts/NAME:VERSION.
func (r *ociRegistry) push(t *testing.T, s *cli.EnvSettings, archive, version string) {
	t.Helper()
	must(t, os.MkdirAll(filepath.Dir(s.RegistryConfig), 0o755))
	c, err := registry.NewClient(registry.ClientOptCredentialsFile(s.RegistryConfig), registry.ClientOptPlainHTTP())
	must(t, err)
	must(t, c.Login(r.host, registry.LoginOptBasicAuth(r.user, r.password), registry.LoginOptPlainText(true)))
	data, err := os.ReadFile(archive)
	must(t, err)
	_, err = c.Push(data, r.host+"/charts/info:"+version)
	must(t, err)
}

// TestChartFromOCIRegistry deploys a chart pushed to a real OCI registry: with a version
// constraint and the credentials `helm registry login` stored, then with --username and
// --password. Bad credentials and a version the registry lacks are refused with exit 2
// and change nothing.
func TestChartFromOCIRegistry(t *testing.T) {
	t.Parallel()
	helmEnv, settings := helmHome(t)
	e := setup(t).withEnv(helmEnv...)
	reg := serveOCIRegistry(t)
	dir := t.TempDir()
	archives := map[string]string{}
	for _, v := range []string{"1.0.0", "1.2.0", "2.0.0"} {
		archives[v] = packageChart(t, infoChart(t, v), dir)
		reg.push(t, settings, archives[v], v)
	}
	ns := clustertest.Namespace(t, e.client)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ref := "oci://" + reg.host + "/charts/info"
	deploy := func(extra ...string) result {
		return e.shipsafe(t, ctx, append([]string{"-n", ns, "deploy", "app", "--chart", ref, "--plain-http", "--timeout", "1m"}, extra...)...)
	}

	// Credentials from Helm's registry config; ~1.0 is the newest 1.x: 1.2.0.
	wantExit(t, deploy("--version", "~1"), 0)
	wantConfig(t, ctx, e, ns, "app-info", map[string]string{"chartVersion": "1.2.0"})
	wantChartRecorded(t, ctx, e, ns, "app", 1, "1.2.0", fileDigest(t, archives["1.2.0"]))

	// With --username/--password and no stored login.
	must(t, os.Remove(settings.RegistryConfig))
	wantExit(t, deploy("--version", "2.0.0", "--username", reg.user, "--password", reg.password), 0)
	wantConfig(t, ctx, e, ns, "app-info", map[string]string{"chartVersion": "2.0.0"})
	wantChartRecorded(t, ctx, e, ns, "app", 2, "2.0.0", fileDigest(t, archives["2.0.0"]))

	for _, tt := range []struct {
		name string
		args []string
		want []string
	}{
		{"bad credentials", []string{"--version", "1.0.0", "--username", reg.user, "--password", "wrong"},
			[]string{"chart " + ref + " version 1.0.0", "unauthorized", "--username/--password or helm registry login"}},
		{"no credentials", []string{"--version", "1.0.0"}, []string{"chart " + ref + " version 1.0.0", "credential not found"}},
		{"no such version", []string{"--version", "^3", "--username", reg.user, "--password", reg.password},
			[]string{"chart " + ref + " version ^3", "the version"}},
	} {
		res := deploy(tt.args...)
		wantExit(t, res, 2)
		wantContains(t, tt.name, strings.ToLower(res.stderr), lower(tt.want)...)
	}
	if revs := e.history(t, ctx, ns, "app"); len(revs) != 2 {
		t.Errorf("refused deploys changed the history: %s", statuses(revs))
	}
	wantConfig(t, ctx, e, ns, "app-info", map[string]string{"chartVersion": "2.0.0"})
}

func lower(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToLower(s)
	}
	return out
}
