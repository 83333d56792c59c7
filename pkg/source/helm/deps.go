package helm

import (
	"io"
	"os"

	"helm.sh/helm/v4/pkg/cli"
	"helm.sh/helm/v4/pkg/downloader"
	"helm.sh/helm/v4/pkg/getter"
)

// updateDependencies fetches the dependencies Chart.yaml lists into the chart directory's
// charts/ (and writes Chart.lock), as `helm install --dependency-update` does, with the
// credentials and TLS settings of auth. Progress goes to out.
func updateDependencies(chartPath string, auth Ref, settings *cli.EnvSettings, out io.Writer) error {
	if st, err := os.Stat(chartPath); err == nil && !st.IsDir() {
		return invalidf("chart %s: --dependency-update needs a chart directory, not an archive", chartPath)
	}
	if settings == nil {
		settings = cli.New()
	}
	if out == nil {
		out = io.Discard
	}
	rc, err := auth.registryClient(settings)
	if err != nil {
		return invalid(err, "chart %s: registry client", chartPath)
	}
	m := &downloader.Manager{
		Out:              out,
		ChartPath:        chartPath,
		Getters:          getter.All(settings),
		RegistryClient:   rc,
		RepositoryConfig: settings.RepositoryConfig,
		RepositoryCache:  settings.RepositoryCache,
		ContentCache:     settings.ContentCache,
	}
	if err := m.Update(); err != nil {
		return invalid(err, "chart %s: update dependencies", chartPath)
	}
	return nil
}
