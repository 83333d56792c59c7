package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/shipsafe/shipsafe/pkg/deploy"
	"github.com/shipsafe/shipsafe/pkg/kube"
	"github.com/shipsafe/shipsafe/pkg/release"
)

func (a *app) renderCommand() *cobra.Command {
	var (
		src         sourceFlags
		output      string
		offline     bool
		kubeVersion string
		apiVersions []string
	)
	cmd := &cobra.Command{
		Use:     "render RELEASE -f FILE|DIR|- | -k DIR | --chart PATH [--values FILE] [--set k=v]",
		Example: renderExamples,
		Short:   "Print the objects a source yields, as multi-document YAML",
		Long: `Render prints the objects of a source as deploy would read them, before it sets
their namespace and release label: plain manifests (-f), a kustomization (-k) or a Helm
chart (--chart).

A chart is rendered with Helm's own SDK, so the objects are exactly those that
'helm template RELEASE CHART -n NS --include-crds' prints with the same values flags:
first the CRDs of crds/ directories (deploy installs them first), then the templates in
Helm's install order, then the hooks in the order deploy runs them (by weight, then
name; helm template prints them by kind). The NOTES are not objects and are not printed.
The render reads the cluster, as 'helm install' (and 'helm template --dry-run=server')
do: .Capabilities come from the live cluster, lookup reads it, and .Release.IsUpgrade
and .Release.Revision follow the release's history. With --offline nothing is read:
Helm's default capabilities, lookup returns an empty map, IsInstall and revision 1,
exactly like a plain 'helm template'; --kube-version and --api-versions set
.Capabilities as helm template's flags of those names do. Hooks whose helm.sh/hook names no Helm event are
left out, as Helm does, with a warning on stderr.

Exit codes: 0 printed; 2 bad input.`,
		Args: exactArgs(1, "one release name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "yaml" && output != "json" {
				return &usageError{fmt.Errorf("-o %q: want yaml or json", output)}
			}
			ctx := cmd.Context()
			l, err := src.load(ctx, a.stdin, func() (chartTarget, error) {
				t, err := a.renderTarget(ctx, args[0], offline)
				t.kubeVersion, t.apiVersions = kubeVersion, apiVersions
				return t, err
			})
			if err != nil {
				return err
			}
			for _, w := range l.warnings {
				fmt.Fprintf(a.stderr, "Warning: %s\n", w)
			}
			objs := l.objects
			for _, h := range l.hooks {
				objs = append(objs, h.Object)
			}
			if output == "json" {
				return writeJSONList(a.stdout, objs)
			}
			return writeYAML(a.stdout, objs)
		},
	}
	src.bind(cmd)
	cmd.Flags().StringVarP(&output, "output", "o", "yaml", "output: yaml (multi-document) or json (a v1 List)")
	cmd.Flags().BoolVar(&offline, "offline", false, "render a chart without reading the cluster, like a plain helm template")
	cmd.Flags().StringVar(&kubeVersion, "kube-version", "", "Kubernetes version for .Capabilities.KubeVersion (1.29.0), as helm template --kube-version")
	cmd.Flags().StringSliceVarP(&apiVersions, "api-versions", "a", nil, "API versions added to .Capabilities.APIVersions (group/version or group/version/Kind); repeatable")
	return cmd
}

// renderTarget is the chartTarget of a render: from the cluster, or offline.
func (a *app) renderTarget(ctx context.Context, rel string, offline bool) (chartTarget, error) {
	if offline {
		if err := release.ValidateName(rel); err != nil {
			return chartTarget{}, &deploy.InputError{Err: err}
		}
		ns, _, err := a.flags.ToRawKubeConfigLoader().Namespace()
		if err != nil || ns == "" {
			ns = "default"
		}
		return chartTarget{release: rel, namespace: ns, revision: 1}, nil
	}
	clients, err := kube.FromFlags(a.flags)
	if err != nil {
		return chartTarget{}, &deploy.InputError{Err: err}
	}
	return liveTarget(ctx, clients, rel, clients.Namespace)
}

// writeYAML prints objs as a multi-document YAML stream.
func writeYAML(w io.Writer, objs []*unstructured.Unstructured) error {
	for _, o := range objs {
		data, err := yaml.Marshal(o.Object)
		if err != nil {
			return fmt.Errorf("print %s %s: %w", o.GetKind(), o.GetName(), err)
		}
		if _, err := fmt.Fprintf(w, "---\n%s", data); err != nil {
			return err
		}
	}
	return nil
}

// writeJSONList prints objs as one v1 List.
func writeJSONList(w io.Writer, objs []*unstructured.Unstructured) error {
	items := make([]any, len(objs))
	for i, o := range objs {
		items[i] = o.Object
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{"apiVersion": "v1", "kind": "List", "items": items})
}
