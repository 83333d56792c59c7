package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"helm.sh/helm/v4/pkg/cli"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/source/helm"
)

// chartFlags are the flags of a chart source beyond its values, spelled as Helm spells
// them: where to fetch the chart from and how to render it.
type chartFlags struct {
	ref              helm.Ref
	dependencyUpdate bool
	skipCRDs         bool
	postRenderer     string
	postRendererArgs []string
	// located is the chart found on disk, kept so that a second rendering (after
	// deploy.ErrStaleRender) does not fetch it again.
	located *helm.Located
}

// bind adds the chart flags to cmd.
func (c *chartFlags) bind(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&c.ref.RepoURL, "repo", "", "chart repository URL to find --chart NAME in")
	fs.StringVar(&c.ref.Version, "version", "", "chart version or constraint (^1.2, ~1.2.0, >=1 <2); default: the latest stable")
	fs.BoolVar(&c.ref.Devel, "devel", false, "also consider pre-release chart versions (when --version is not given)")
	fs.StringVar(&c.ref.Username, "username", "", "chart repository or OCI registry user name")
	fs.StringVar(&c.ref.Password, "password", "", "chart repository or OCI registry password")
	fs.BoolVar(&c.ref.PassCredentialsAll, "pass-credentials", false, "send the credentials to every host, not only the repository's")
	fs.StringVar(&c.ref.CaFile, "ca-file", "", "CA bundle to verify the chart repository's or registry's certificate")
	fs.StringVar(&c.ref.CertFile, "cert-file", "", "client certificate for the chart repository or registry")
	fs.StringVar(&c.ref.KeyFile, "key-file", "", "client key for the chart repository or registry")
	fs.BoolVar(&c.ref.InsecureSkipTLSVerify, "insecure-skip-tls-verify", false, "do not verify the chart repository's or registry's certificate")
	fs.BoolVar(&c.ref.PlainHTTP, "plain-http", false, "talk plain HTTP to the OCI registry")
	fs.BoolVar(&c.dependencyUpdate, "dependency-update", false, "fetch the chart's dependencies missing from its charts/ first (as helm dependency update)")
	fs.BoolVar(&c.skipCRDs, "skip-crds", false, "leave out the CRDs of the chart's crds/ directories")
	fs.StringVar(&c.postRenderer, "post-renderer", "", "executable that rewrites the rendered objects (stdin to stdout), as Helm 3's")
	fs.StringArrayVar(&c.postRendererArgs, "post-renderer-args", nil, "an argument to the post-renderer; repeatable")
}

// given lists the chart-only flags that are set, for the usage error when no --chart is.
func (c *chartFlags) given(cmd *cobra.Command) []string {
	var out []string
	for _, name := range []string{"repo", "version", "devel", "username", "password", "pass-credentials", "ca-file", "cert-file",
		"key-file", "insecure-skip-tls-verify", "plain-http", "dependency-update", "skip-crds", "post-renderer", "post-renderer-args"} {
		if f := cmd.Flags().Lookup(name); f != nil && f.Changed {
			out = append(out, "--"+name)
		}
	}
	return out
}

// locate finds the chart named by --chart (fetching it when it is not on disk), once.
func (c *chartFlags) locate(name string) (*helm.Located, error) {
	if c.located != nil {
		return c.located, nil
	}
	ref := c.ref
	ref.Name = name
	l, err := ref.Locate(cli.New())
	if err != nil {
		return nil, err
	}
	c.located = l
	return l, nil
}

// chart returns the helm.Chart options these flags set, for the chart at path.
func (c *chartFlags) chart(path string) helm.Chart {
	ch := helm.Chart{Path: path, SkipCRDs: c.skipCRDs}
	if c.dependencyUpdate {
		ref := c.ref
		ch.DependencyUpdate = &ref
		ch.Settings = cli.New()
	}
	if c.postRenderer != "" {
		ch.PostRenderer = &helm.PostRenderer{Path: c.postRenderer, Args: c.postRendererArgs}
	}
	return ch
}

// record returns what the revision records of the chart rendered as r.
func (c *chartFlags) record(name string, r *helm.Rendered, values map[string]any) *release.Chart {
	rec := &release.Chart{Name: r.Chart, Version: r.Version, AppVersion: r.AppVersion, Ref: name, Values: values, Notes: r.Notes}
	for _, o := range r.Objects[:r.CRDs] {
		rec.CRDs = append(rec.CRDs, release.RefOf(o))
	}
	if c.located != nil {
		rec.Digest = c.located.Digest
	}
	if c.ref.RepoURL != "" {
		rec.Ref = strings.TrimSuffix(c.ref.RepoURL, "/") + " " + name
	}
	return rec
}

// parseLabels reads --labels key=value pairs for the record, refusing the store's own
// label keys.
func parseLabels(pairs map[string]string) (map[string]string, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	for k, v := range pairs {
		if k == "owner" || strings.HasPrefix(k, "shipsafe.io/") {
			return nil, &usageError{fmt.Errorf("--labels %s: %q is a label shipsafe sets on its records itself; choose another key", k, k)}
		}
		if errs := append(validation.IsQualifiedName(k), validation.IsValidLabelValue(v)...); len(errs) > 0 {
			return nil, &usageError{fmt.Errorf("--labels %s=%s: %s", k, v, strings.Join(errs, "; "))}
		}
	}
	return pairs, nil
}
