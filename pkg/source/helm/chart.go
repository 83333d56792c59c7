package helm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/cli"
	"helm.sh/helm/v4/pkg/engine"
	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"

	"github.com/shipsafe/shipsafe/pkg/manifest"
)

// notesSuffix names the rendered file that holds a chart's notes, not objects.
const notesSuffix = "NOTES.txt"

// Chart renders one Helm chart from a directory or a packaged .tgz, the way `helm
// template` and `helm install` do, with Helm's own SDK.
type Chart struct {
	// Path is the chart directory or .tgz on the local disk (see Ref.Locate for charts
	// elsewhere).
	Path string
	// Values are the user's values (--values, --set...).
	Values Values
	// Release and Namespace are .Release.Name and .Release.Namespace.
	Release   string
	Namespace string
	// IsUpgrade sets .Release.IsUpgrade (and clears .Release.IsInstall): the release has
	// a deployed revision already.
	IsUpgrade bool
	// Revision is .Release.Revision; 0 means 1.
	Revision int
	// Cluster, when set, gives .Capabilities from the live cluster and makes the lookup
	// function read it, as `helm install` does. When nil, the render is offline like
	// `helm template`: Helm's default Capabilities, and lookup returns an empty map.
	Cluster *Cluster
	// Stdin is read for a values file "-"; it is never os.Stdin implicitly.
	Stdin io.Reader
	// DependencyUpdate, when set, fetches the dependencies Chart.yaml lists that are
	// missing from charts/ (into the chart directory, as `helm install
	// --dependency-update` does), with its credentials and TLS settings.
	DependencyUpdate *Ref
	// Settings are Helm's locations (HELM_*) for DependencyUpdate; nil reads the
	// environment.
	Settings *cli.EnvSettings
	// Progress receives the dependency download's messages; nil discards them.
	Progress io.Writer
	// KubeVersion, when set, is .Capabilities.KubeVersion ("1.29.0"), as `helm template
	// --kube-version` sets it.
	KubeVersion string
	// APIVersions are added to .Capabilities.APIVersions ("monitoring.coreos.com/v1"), as
	// `helm template --api-versions` adds them.
	APIVersions []string
	// SkipCRDs leaves out the CRDs of crds/ directories (--skip-crds).
	SkipCRDs bool
	// PostRenderer, when set, rewrites the rendered objects (not hooks or CRDs), as
	// Helm 3's --post-renderer executable does.
	PostRenderer *PostRenderer
}

// Cluster is the live cluster a render reads.
type Cluster struct {
	// Config is used by the template function lookup.
	Config *rest.Config
	// Discovery gives the Kubernetes version and the API versions for .Capabilities.
	Discovery discovery.DiscoveryInterface
}

// Rendered is the output of a render.
type Rendered struct {
	// Chart, Version and AppVersion name the chart rendered.
	Chart      string
	Version    string
	AppVersion string
	// Objects are the release's objects: first the CRDs of crds/ directories (the chart's
	// and its sub-charts', which Helm installs before anything else), then the rendered
	// templates in Helm's install order. Hooks are not among them.
	Objects []*unstructured.Unstructured
	// CRDs is how many of the leading Objects came from crds/ directories.
	CRDs int
	// Hooks are the chart's hooks in the order Helm runs them: by weight, then name.
	Hooks []Hook
	// Unknown are hooks whose helm.sh/hook names an event Helm does not know; Helm
	// leaves them out of `helm template` and of installs without a word. They are not in
	// Objects or Hooks.
	Unknown []Hook
	// Notes is the chart's rendered NOTES.txt (not an object).
	Notes string
	// Values are the user's values, merged (Values.Merge), without the chart's defaults:
	// what `helm get values` shows.
	Values map[string]any
	// Warnings are things to tell the user: a deprecated chart, say.
	Warnings []string
}

// Render loads, values-merges and renders the chart. Errors in the input (a chart that
// does not load, a dependency missing from charts/, bad values, a failing template, an
// invalid object) match manifest.ErrInvalid; failing to read the cluster does not.
func (c Chart) Render(ctx context.Context) (*Rendered, error) {
	if c.Release == "" {
		return nil, invalidf("render chart %s: the release name is empty", c.Path)
	}
	ch, err := c.load()
	if err != nil {
		return nil, err
	}
	out := &Rendered{Chart: ch.Metadata.Name, Version: ch.Metadata.Version, AppVersion: ch.Metadata.AppVersion}
	if ch.Metadata.Deprecated {
		out.Warnings = append(out.Warnings, fmt.Sprintf("chart %s %s is deprecated", ch.Metadata.Name, ch.Metadata.Version))
	}
	vals, err := c.Values.Merge(c.Stdin)
	if err != nil {
		return nil, err
	}
	out.Values = copyValues(vals)
	if err := chartutil.ProcessDependencies(ch, vals); err != nil {
		return nil, invalid(err, "chart %s: process dependencies", ch.Metadata.Name)
	}
	var dc discovery.DiscoveryInterface
	if c.Cluster != nil {
		dc = c.Cluster.Discovery
	}
	caps, err := capabilities(dc)
	if err != nil {
		return nil, err
	}
	if c.KubeVersion != "" {
		kv, err := common.ParseKubeVersion(c.KubeVersion)
		if err != nil {
			return nil, invalidf("--kube-version %q: %v; give a version such as 1.29.0", c.KubeVersion, err)
		}
		caps.KubeVersion = *kv
	}
	caps.APIVersions = append(caps.APIVersions, c.APIVersions...)
	if kv := ch.Metadata.KubeVersion; kv != "" && !chartutil.IsCompatibleRange(kv, caps.KubeVersion.String()) {
		return nil, invalidf("chart %s requires kubeVersion %s, which is incompatible with Kubernetes %s",
			ch.Metadata.Name, kv, caps.KubeVersion.Version)
	}
	files, err := c.renderFiles(ctx, ch, vals, caps)
	if err != nil {
		return nil, err
	}
	out.Notes = notes(files, ch.Name())
	if out.Unknown, err = unknownHooks(files); err != nil {
		return nil, err
	}
	hooks, manifests, err := releaseutil.SortManifests(files, nil, releaseutil.InstallOrder)
	if err != nil {
		return nil, invalid(err, "chart %s", ch.Metadata.Name)
	}
	var errs []error
	if !c.SkipCRDs {
		for _, crd := range ch.CRDObjects() {
			objs, err := manifest.Decode(crd.Filename, strings.NewReader(string(crd.File.Data)))
			errs = append(errs, err)
			out.Objects = append(out.Objects, objs...)
		}
	}
	out.CRDs = len(out.Objects)
	if c.PostRenderer != nil {
		objs, err := c.PostRenderer.run(ctx, manifests)
		if err != nil {
			return nil, err
		}
		out.Objects = append(out.Objects, objs...)
	} else {
		for _, m := range manifests {
			objs, err := manifest.Decode(m.Name, strings.NewReader(m.Content))
			errs = append(errs, err)
			out.Objects = append(out.Objects, objs...)
		}
	}
	for _, h := range hooks {
		hook, err := newHook(h)
		errs = append(errs, err)
		if err == nil {
			out.Hooks = append(out.Hooks, hook)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, &InvalidError{Err: fmt.Errorf("chart %s rendered invalid objects:\n%w", ch.Metadata.Name, err)}
	}
	sortHooks(out.Hooks)
	return out, nil
}

// Load renders the chart and returns its objects, for charts without hooks; a chart with
// hooks is refused (hooks must run at their moment,
// not be applied with the rest), so callers that handle hooks use Render.
func (c Chart) Load(ctx context.Context) ([]*unstructured.Unstructured, error) {
	r, err := c.Render(ctx)
	if err != nil {
		return nil, err
	}
	if n := len(r.Hooks) + len(r.Unknown); n > 0 {
		return nil, invalidf("chart %s has %d hooks, which Load cannot return with the objects; use Render", r.Chart, n)
	}
	return r.Objects, nil
}

// load reads the chart and checks it can be installed with what is on disk.
func (c Chart) load() (*chart.Chart, error) {
	if c.Path == "" {
		return nil, invalidf("no chart path given")
	}
	if _, err := os.Stat(c.Path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, invalidf("chart %s does not exist; give a chart directory or .tgz, repo/name (helm repo add), --repo URL or oci://", c.Path)
		}
		return nil, fmt.Errorf("read chart %s: %w", c.Path, err)
	}
	ch, err := loader.Load(c.Path)
	if err != nil {
		return nil, invalid(err, "load chart %s", c.Path)
	}
	if ch.Metadata == nil {
		return nil, invalidf("load chart %s: no Chart.yaml", c.Path)
	}
	if t := ch.Metadata.Type; t != "" && t != "application" {
		return nil, invalidf("chart %s is a %s chart, which cannot be installed", ch.Metadata.Name, t)
	}
	if err := checkDependencies(ch, c.Path); err != nil {
		if c.DependencyUpdate == nil {
			return nil, err
		}
		if err := updateDependencies(c.Path, *c.DependencyUpdate, c.Settings, c.Progress); err != nil {
			return nil, err
		}
		if ch, err = loader.Load(c.Path); err != nil {
			return nil, invalid(err, "load chart %s after updating its dependencies", c.Path)
		}
		if err := checkDependencies(ch, c.Path); err != nil {
			return nil, err
		}
	}
	return ch, nil
}

// renderFiles runs Helm's template engine: with lookup against the cluster when one is
// given, otherwise with lookup returning empty maps.
func (c Chart) renderFiles(ctx context.Context, ch *chart.Chart, vals map[string]any, caps *common.Capabilities) (map[string]string, error) {
	rev := c.Revision
	if rev <= 0 {
		rev = 1
	}
	opts := common.ReleaseOptions{
		Name:      c.Release,
		Namespace: c.Namespace,
		Revision:  rev,
		IsInstall: !c.IsUpgrade,
		IsUpgrade: c.IsUpgrade,
	}
	top, err := util.ToRenderValuesWithSchemaValidation(ch, vals, opts, caps, false)
	if err != nil {
		return nil, invalid(err, "chart %s: values", ch.Metadata.Name)
	}
	var e engine.Engine
	if c.Cluster != nil && c.Cluster.Config != nil {
		e = engine.New(c.Cluster.Config)
	}
	files, err := e.RenderWithContext(ctx, ch, top)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("render chart %s: %w", ch.Metadata.Name, ctx.Err())
		}
		return nil, invalid(err, "render chart %s", ch.Metadata.Name)
	}
	return files, nil
}

// notes removes every NOTES.txt from files and returns the top chart's, as Helm does
// (sub-charts' notes are not shown).
func notes(files map[string]string, chartName string) string {
	var top string
	for name, content := range files {
		if strings.HasSuffix(name, notesSuffix) {
			if name == path.Join(chartName, "templates", notesSuffix) {
				top = content
			}
			delete(files, name)
		}
	}
	return top
}

// checkDependencies refuses a chart whose Chart.yaml lists a dependency that is not in
// its charts/ directory, as `helm install` does; shipsafe never fetches charts.
func checkDependencies(ch *chart.Chart, chartPath string) error {
	present := map[string]bool{}
	for _, d := range ch.Dependencies() {
		if d.Metadata != nil {
			present[d.Metadata.Name] = true
		}
	}
	var missing []string
	for _, d := range ch.Metadata.Dependencies {
		if d != nil && !present[d.Name] {
			missing = append(missing, d.Name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return invalidf("chart %s: Chart.yaml lists dependencies missing from its charts/ directory: %s; run `helm dependency build %s` to fetch them, or pass --dependency-update",
		ch.Metadata.Name, strings.Join(missing, ", "), chartPath)
}
