package helm

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"helm.sh/helm/v4/pkg/cli"
	"helm.sh/helm/v4/pkg/downloader"
	"helm.sh/helm/v4/pkg/getter"
	"helm.sh/helm/v4/pkg/registry"
	"helm.sh/helm/v4/pkg/repo/v1"
)

// Ref names a chart as `helm install` takes it: a directory or .tgz on disk, "repo/name"
// from the user's Helm repositories, a name in the repository at RepoURL, or an
// "oci://" reference. Charts not on disk are downloaded into Helm's cache, with Helm's
// own SDK, honouring HELM_REPOSITORY_CONFIG, HELM_REPOSITORY_CACHE, HELM_REGISTRY_CONFIG
// and Helm's other HELM_* locations.
type Ref struct {
	// Name is the chart reference as given.
	Name string
	// RepoURL is the chart repository to look Name up in (--repo).
	RepoURL string
	// Version is a version or a semver constraint (--version); empty means the latest
	// stable version.
	Version string
	// Devel also considers pre-release versions when Version is empty (--devel).
	Devel bool
	// Username and Password authenticate to the repository or registry; when empty, an
	// OCI registry's credentials come from Helm's registry config (helm registry login).
	Username, Password string
	// PassCredentialsAll sends the credentials to every host, not only the repository's.
	PassCredentialsAll bool
	// CaFile, CertFile and KeyFile configure TLS to the repository or registry.
	CaFile, CertFile, KeyFile string
	// InsecureSkipTLSVerify skips verifying the server's certificate.
	InsecureSkipTLSVerify bool
	// PlainHTTP talks plain HTTP to an OCI registry.
	PlainHTTP bool
}

// Located is a chart found on this machine.
type Located struct {
	// Path is the chart directory or archive on disk.
	Path string
	// Digest is "sha256:<hex>" of the chart archive, empty for a directory.
	Digest string
}

// remote reports whether r names a chart that is not a path on disk.
func (r Ref) remote() bool {
	if r.RepoURL != "" || registry.IsOCI(r.Name) {
		return true
	}
	_, err := os.Stat(r.Name)
	return err != nil && !strings.HasPrefix(r.Name, ".") && !strings.HasPrefix(r.Name, "/")
}

// Locate finds the chart, downloading it when it is not on disk. A chart that cannot be
// found or fetched (no such repository, chart or version, bad credentials) is an
// InvalidError: nothing was changed.
func (r Ref) Locate(settings *cli.EnvSettings) (*Located, error) {
	name := strings.TrimSpace(r.Name)
	if name == "" {
		return nil, invalidf("no chart given")
	}
	if !r.remote() {
		return located(name)
	}
	if settings == nil {
		settings = cli.New()
	}
	rc, err := r.registryClient(settings)
	if err != nil {
		return nil, invalid(err, "chart %s: registry client", name)
	}
	path, err := r.download(name, settings, rc)
	if err != nil {
		return nil, invalidf("chart %s%s%s: %v; %s", name, r.versionText(), r.repoText(), err, r.hint(settings))
	}
	return located(path)
}

// version is the version constraint Helm resolves: Version, or any version with Devel.
func (r Ref) version() string {
	v := strings.TrimSpace(r.Version)
	if v == "" && r.Devel {
		return ">0.0.0-0"
	}
	return v
}

func (r Ref) versionText() string {
	if v := r.version(); v != "" {
		return " version " + v
	}
	return ""
}

func (r Ref) repoText() string {
	if r.RepoURL != "" {
		return " in repository " + r.RepoURL
	}
	return ""
}

// hint says what to check when a chart cannot be fetched.
func (r Ref) hint(settings *cli.EnvSettings) string {
	switch {
	case registry.IsOCI(r.Name):
		return "check the reference, the version (a tag or constraint), and the credentials (--username/--password or helm registry login, config " +
			settings.RegistryConfig + "); --plain-http for a registry without TLS"
	case r.RepoURL != "":
		return "check the URL, the chart name, the version and the credentials (--username/--password)"
	}
	return "check the chart name and version, that the repository is in " + settings.RepositoryConfig +
		" (helm repo add) and its index in " + settings.RepositoryCache + " is current (helm repo update)"
}

// registryClient builds Helm's OCI registry client as the helm CLI does: credentials
// from the registry config, overridden by Username and Password.
func (r Ref) registryClient(settings *cli.EnvSettings) (*registry.Client, error) {
	opts := []registry.ClientOption{
		registry.ClientOptEnableCache(true),
		registry.ClientOptWriter(io.Discard),
		registry.ClientOptCredentialsFile(settings.RegistryConfig),
		registry.ClientOptBasicAuth(r.Username, r.Password),
	}
	if r.PlainHTTP {
		opts = append(opts, registry.ClientOptPlainHTTP())
	}
	if r.CaFile != "" || r.CertFile != "" || r.InsecureSkipTLSVerify {
		hc, err := tlsClient(r.CaFile, r.CertFile, r.KeyFile, r.InsecureSkipTLSVerify)
		if err != nil {
			return nil, err
		}
		opts = append(opts, registry.ClientOptHTTPClient(hc))
	}
	return registry.NewClient(opts...)
}

// located returns the chart at path with its archive digest.
func located(path string) (*Located, error) {
	st, err := os.Stat(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, invalidf("chart %s does not exist; give a chart directory or .tgz, repo/name (helm repo add), --repo URL or oci://", path)
		}
		return nil, fmt.Errorf("read chart %s: %w", path, err)
	}
	if st.IsDir() {
		return &Located{Path: path}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read chart %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, fmt.Errorf("read chart %s: %w", path, err)
	}
	return &Located{Path: path, Digest: "sha256:" + hex.EncodeToString(h.Sum(nil))}, nil
}

// tlsClient returns an HTTP client with the given CA, client certificate and
// verification setting, as Helm's --ca-file, --cert-file, --key-file and
// --insecure-skip-tls-verify configure it.
func tlsClient(caFile, certFile, keyFile string, insecure bool) (*http.Client, error) {
	conf := &tls.Config{InsecureSkipVerify: insecure} //nolint:gosec // only when the user asks
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("read CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s holds no PEM certificate", caFile)
		}
		conf.RootCAs = pool
	}
	if certFile != "" && keyFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("read client certificate: %w", err)
		}
		conf.Certificates = []tls.Certificate{cert}
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: conf, Proxy: http.ProxyFromEnvironment}}, nil
}

// download fetches the chart into Helm's repository cache and returns the archive's
// path, as action.ChartPathOptions.LocateChart does (without the rest of package action):
// a name in the repository at RepoURL, "repo/name" from the repositories file, or an
// "oci://" reference through the registry client. Credentials go only to the
// repository's own host unless PassCredentialsAll.
func (r Ref) download(name string, settings *cli.EnvSettings, rc *registry.Client) (string, error) {
	getters := getter.All(settings)
	dl := downloader.ChartDownloader{
		Out:     io.Discard,
		Getters: getters,
		Options: []getter.Option{
			getter.WithPassCredentialsAll(r.PassCredentialsAll),
			getter.WithTLSClientConfig(r.CertFile, r.KeyFile, r.CaFile),
			getter.WithInsecureSkipVerifyTLS(r.InsecureSkipTLSVerify),
			getter.WithPlainHTTP(r.PlainHTTP),
		},
		RepositoryConfig: settings.RepositoryConfig,
		RepositoryCache:  settings.RepositoryCache,
		ContentCache:     settings.ContentCache,
		RegistryClient:   rc,
	}
	if registry.IsOCI(name) {
		dl.Options = append(dl.Options, getter.WithRegistryClient(rc))
	}
	user, pass := r.Username, r.Password
	if r.RepoURL != "" {
		chartURL, err := repo.FindChartInRepoURL(r.RepoURL, name, getters,
			repo.WithChartVersion(r.version()),
			repo.WithClientTLS(r.CertFile, r.KeyFile, r.CaFile),
			repo.WithUsernamePassword(r.Username, r.Password),
			repo.WithInsecureSkipTLSVerify(r.InsecureSkipTLSVerify),
			repo.WithPassCredentialsAll(r.PassCredentialsAll))
		if err != nil {
			return "", err
		}
		if !r.PassCredentialsAll && !sameHost(r.RepoURL, chartURL) {
			user, pass = "", ""
		}
		name = chartURL
	}
	dl.Options = append(dl.Options, getter.WithBasicAuth(user, pass))
	if err := os.MkdirAll(settings.RepositoryCache, 0o755); err != nil {
		return "", fmt.Errorf("create the chart cache: %w", err)
	}
	path, _, err := dl.DownloadToCache(name, r.version())
	return path, err
}

// sameHost reports whether two URLs name the same scheme, host and port.
func sameHost(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && ua.Scheme == ub.Scheme && ua.Host == ub.Host
}
