package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/deploy"
	"github.com/shipsafe/shipsafe/pkg/kube"
	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/release/store"
	"github.com/shipsafe/shipsafe/pkg/source/helm"
	"github.com/shipsafe/shipsafe/pkg/source/kustomize"
)

// sourceFlags are the flags naming where a command's objects come from: plain manifests
// (-f), a kustomization (-k) or a Helm chart (--chart with its values flags). Exactly one
// kind is allowed.
type sourceFlags struct {
	files     []string
	kustomize string
	chart     string
	values    helm.Values
	skipHooks []string
	charts    chartFlags
	// chartOnly lists the chart-only flags given (bound to the command in bind).
	chartOnly func() []string
}

// bind adds the source flags to cmd.
func (s *sourceFlags) bind(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringArrayVarP(&s.files, "filename", "f", nil, "manifest file, directory (recursive) or - for stdin; repeatable")
	fs.StringVarP(&s.kustomize, "kustomize", "k", "", "kustomization directory (a base or an overlay)")
	fs.StringVar(&s.chart, "chart", "", "Helm chart: a directory or .tgz, repo/name (helm repo add), a name with --repo URL, or oci://REGISTRY/PATH")
	fs.StringArrayVar(&s.values.Files, "values", nil, "chart values file, or - for stdin; repeatable, later files win (-f stays the manifest flag)")
	fs.StringArrayVar(&s.values.Set, "set", nil, "chart values on the command line (a.b=1,c[0]=x); repeatable")
	fs.StringArrayVar(&s.values.SetString, "set-string", nil, "chart values kept as strings (key=value); repeatable")
	fs.StringArrayVar(&s.values.SetFile, "set-file", nil, "chart values read from files (key=path); repeatable")
	fs.StringArrayVar(&s.values.SetJSON, "set-json", nil, "chart values as JSON (key=json); repeatable")
	fs.StringArrayVar(&s.values.SetLiteral, "set-literal", nil, "a chart value taken verbatim (key=value); repeatable")
	fs.StringArrayVar(&s.skipHooks, "skip-hooks", nil, "leave out chart hooks of this event (test, pre-delete...): not run, not recorded; repeatable")
	s.charts.bind(cmd)
	s.chartOnly = func() []string { return s.charts.given(cmd) }
}

// kind returns the one source kind given, or a usage error.
func (s *sourceFlags) kind() (string, error) {
	var kinds []string
	if len(s.files) > 0 {
		kinds = append(kinds, "-f")
	}
	if s.kustomize != "" {
		kinds = append(kinds, "-k")
	}
	if s.chart != "" {
		kinds = append(kinds, "--chart")
	}
	valuesGiven := len(s.values.Files)+len(s.values.Set)+len(s.values.SetString)+len(s.values.SetFile)+
		len(s.values.SetJSON)+len(s.values.SetLiteral) > 0
	switch {
	case len(kinds) == 0:
		return "", &usageError{errors.New("no source: pass -f FILE|DIR|-, -k DIR or --chart PATH")}
	case len(kinds) == 2 && s.chart != "" && len(s.files) > 0:
		return "", &usageError{fmt.Errorf("-f and --chart exclude each other: in shipsafe -f names manifests, not chart values; " +
			"pass values files with --values FILE (what helm's -f does)")}
	case len(kinds) > 1:
		return "", &usageError{fmt.Errorf("%s exclude each other: pass one source", strings.Join(kinds, " and "))}
	case kinds[0] != "--chart" && (valuesGiven || len(s.skipHooks) > 0):
		return "", &usageError{errors.New("--values, --set, --set-string, --set-file, --set-json, --set-literal and --skip-hooks apply to --chart only")}
	case kinds[0] != "--chart" && s.chartOnly != nil && len(s.chartOnly()) > 0:
		return "", &usageError{fmt.Errorf("%s: chart flags, given without --chart", strings.Join(s.chartOnly(), ", "))}
	}
	return kinds[0], nil
}

// chartTarget is what rendering a chart needs to know about the release: the values of
// .Release and the cluster for .Capabilities and lookup (nil: offline, like helm template).
type chartTarget struct {
	release   string
	namespace string
	isUpgrade bool
	revision  int
	cluster   *helm.Cluster
	// kubeVersion and apiVersions override .Capabilities (render --kube-version,
	// --api-versions).
	kubeVersion string
	apiVersions []string
}

// loaded is what a source yields.
type loaded struct {
	objects []*unstructured.Unstructured
	// hooks are a chart's hooks in run order, less the events of --skip-hooks.
	hooks []helm.Hook
	// unknown are hooks with events Helm does not know (it drops them silently).
	unknown []helm.Hook
	// warnings are to be shown to the user.
	warnings []string
	// describe names the source for history ("-f k8s/", "--chart ./web --values prod.yaml").
	describe string
	// rendered is, for a chart, the release state its templates saw.
	rendered *deploy.RenderedFor
	// verification is the source's Verification object (nil: none); see splitVerification.
	verification *unstructured.Unstructured
	// chart is, for a chart, what the revision records of it (values and notes too).
	chart *release.Chart
}

// load reads the source and takes its Verification out of its objects (it is read,
// never applied). Bad input is a *deploy.InputError (exit 2). target is called only for
// a chart, to learn the release and cluster it renders for.
func (s *sourceFlags) load(ctx context.Context, stdin io.Reader, target func() (chartTarget, error)) (*loaded, error) {
	l, err := s.loadObjects(ctx, stdin, target)
	if err != nil {
		return nil, err
	}
	if l.objects, l.verification, err = splitVerification(l.objects); err != nil {
		return nil, &deploy.InputError{Err: err}
	}
	return l, nil
}

// loadObjects reads the source's objects and hooks.
func (s *sourceFlags) loadObjects(ctx context.Context, stdin io.Reader, target func() (chartTarget, error)) (*loaded, error) {
	kind, err := s.kind()
	if err != nil {
		return nil, err
	}
	switch kind {
	case "-f":
		objs, err := manifest.FileSource{Paths: s.files, Stdin: stdin}.Load(ctx)
		if err != nil {
			return nil, &deploy.InputError{Err: err}
		}
		return &loaded{objects: objs, describe: "-f " + strings.Join(s.files, " -f ")}, nil
	case "-k":
		objs, err := kustomize.Source{Dir: s.kustomize}.Load(ctx)
		if err != nil {
			return nil, &deploy.InputError{Err: err}
		}
		return &loaded{objects: objs, describe: "-k " + s.kustomize}, nil
	}
	t, err := target()
	if err != nil {
		return nil, err
	}
	loc, err := s.charts.locate(s.chart)
	if err != nil {
		return nil, &deploy.InputError{Err: err}
	}
	ch := s.charts.chart(loc.Path)
	ch.Values, ch.Release, ch.Namespace, ch.Stdin = s.values, t.release, t.namespace, stdin
	ch.IsUpgrade, ch.Revision, ch.Cluster = t.isUpgrade, t.revision, t.cluster
	ch.KubeVersion, ch.APIVersions = t.kubeVersion, t.apiVersions
	r, err := ch.Render(ctx)
	if err != nil {
		if errors.Is(err, manifest.ErrInvalid) {
			return nil, &deploy.InputError{Err: err}
		}
		return nil, err
	}
	out := &loaded{objects: r.Objects, hooks: skipHooks(r.Hooks, s.skipHooks), unknown: skipHooks(r.Unknown, s.skipHooks),
		warnings: r.Warnings, describe: s.describeChart(r), rendered: &deploy.RenderedFor{Revision: t.revision, Upgrade: t.isUpgrade},
		chart: s.charts.record(s.chart, r, r.Values)}
	for _, h := range out.unknown {
		out.warnings = append(out.warnings, fmt.Sprintf("%s (%s) has helm.sh/hook %q, which names no Helm hook event: Helm leaves it out silently",
			manifest.KeyOf(h.Object), h.Path, strings.Join(h.Events, ",")))
	}
	return out, nil
}

// replayableStdin returns what gives stdin to each load of the source: stdin itself,
// except for a chart with values from "-", whose values are read once here so that a
// second rendering (after deploy.ErrStaleRender) sees them too.
func (s *sourceFlags) replayableStdin(stdin io.Reader) (func() io.Reader, error) {
	if s.chart == "" || !slices.ContainsFunc(s.values.Files, func(f string) bool { return strings.TrimSpace(f) == "-" }) {
		return func() io.Reader { return stdin }, nil
	}
	b, err := io.ReadAll(stdin)
	if err != nil {
		return nil, &deploy.InputError{Err: fmt.Errorf("read chart values from stdin (--values -): %w", err)}
	}
	return func() io.Reader { return bytes.NewReader(b) }, nil
}

// describeChart names a chart source for history without the values of --set flags,
// which may be secrets.
func (s *sourceFlags) describeChart(r *helm.Rendered) string {
	d := fmt.Sprintf("--chart %s (%s %s)", s.chart, r.Chart, r.Version)
	for _, f := range s.values.Files {
		d += " --values " + f
	}
	for _, f := range []struct {
		flag string
		n    int
	}{{"--set", len(s.values.Set)}, {"--set-string", len(s.values.SetString)}, {"--set-file", len(s.values.SetFile)},
		{"--set-json", len(s.values.SetJSON)}, {"--set-literal", len(s.values.SetLiteral)}} {
		if f.n > 0 {
			d += fmt.Sprintf(" (%d %s)", f.n, f.flag)
		}
	}
	return d
}

// skipHooks removes the events in skip from every hook and drops hooks left with none.
func skipHooks(hooks []helm.Hook, skip []string) []helm.Hook {
	if len(skip) == 0 {
		return hooks
	}
	var out []helm.Hook
	for _, h := range hooks {
		var events []string
		for _, e := range h.Events {
			if !slices.Contains(skip, e) {
				events = append(events, e)
			}
		}
		if len(events) > 0 {
			h.Events = events
			out = append(out, h)
		}
	}
	return out
}

// deployHooks converts a chart's hooks, unknown ones included (deploy refuses them by
// event), for deploy.DeployOptions.
func (l *loaded) deployHooks() []release.Hook {
	var out []release.Hook
	for _, hs := range [][]helm.Hook{l.hooks, l.unknown} {
		for _, h := range hs {
			out = append(out, h.Hook)
		}
	}
	return out
}

// liveTarget returns the chartTarget of release in the cluster of clients: .Capabilities
// and lookup from the cluster, and install or upgrade (and the revision number) from the
// release's history, as the deploy that follows will see them unless another deploy
// gets in between.
func liveTarget(ctx context.Context, clients *kube.Clients, rel, namespace string) (chartTarget, error) {
	t := chartTarget{release: rel, namespace: namespace,
		cluster: &helm.Cluster{Config: clients.Config, Discovery: clients.Discovery}}
	if err := release.ValidateName(rel); err != nil {
		return t, &deploy.InputError{Err: err}
	}
	revs, err := store.NewSecrets(clients.Typed, namespace).History(ctx, rel)
	var damaged *store.DamagedError
	if err != nil && !errors.As(err, &damaged) {
		return t, fmt.Errorf("read history of %q to render its chart: %w", rel, err)
	}
	t.isUpgrade = release.LastDeployed(revs) != nil
	t.revision = release.NextNumber(revs)
	if damaged != nil { // deploy skips damaged records and numbers past them
		t.revision = max(t.revision, damaged.Highest()+1)
	}
	return t, nil
}
