package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/deploy"
	"github.com/shipsafe/shipsafe/pkg/lint"
)

func (a *app) lintCommand() *cobra.Command {
	var (
		src    sourceFlags
		strict bool
		output string
	)
	cmd := &cobra.Command{
		Use:     "lint -f FILE|DIR|- [-f ...] | -k DIR | --chart PATH [--values FILE] [--set k=v]",
		Example: lintExamples,
		Short:   "Check manifests against the zero-downtime rules",
		Long: `Lint checks workloads for what drops requests during a rollout: missing readiness
probes, liveness identical to readiness, no preStop drain, a grace period shorter than
preStop + the app's shutdown budget (annotation shipsafe.io/shutdown-budget), rollout
settings that take every replica down, and more. Exit 0 when clean or only warnings;
with --strict, exit 2 when any finding is an error or a warning (as 'helm lint --strict'
fails on warnings); info findings never fail.

A chart is rendered offline, like 'helm template' (release name "release-name", Helm's
default capabilities, lookup empty); its hooks are not linted.`,
		Args: exactArgs(0, "no arguments (objects come with -f, -k or --chart)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := outputFormat(output); err != nil {
				return err
			}
			ns, _, err := a.flags.ToRawKubeConfigLoader().Namespace()
			if err != nil || ns == "" {
				ns = "default"
			}
			l, err := src.load(cmd.Context(), a.stdin, func() (chartTarget, error) {
				return chartTarget{release: "release-name", namespace: ns, revision: 1}, nil
			})
			if err != nil {
				return err
			}
			for _, w := range l.warnings {
				fmt.Fprintf(a.stderr, "Warning: %s\n", w)
			}
			findings := lint.Check(withNamespace(l.objects, ns))
			if output == "json" {
				if findings == nil {
					findings = []lint.Finding{}
				}
				if err := json.NewEncoder(a.stdout).Encode(findings); err != nil {
					return err
				}
			} else {
				printFindings(a.stdout, findings)
			}
			if n := strictFailures(findings); strict && n > 0 {
				return &codeError{code: ExitInput, err: fmt.Errorf("lint found %d errors or warnings (--strict)", n)}
			}
			return nil
		},
	}
	src.bind(cmd)
	cmd.Flags().BoolVar(&strict, "strict", false, "exit 2 when any finding is an error or a warning")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output: text or json")
	return cmd
}

// lintBeforeDeploy reports lint findings as warnings (JSON lines with -o json); with
// strict, errors stop the deploy before anything changes.
func (a *app) lintBeforeDeploy(out *runOutput, objs []*unstructured.Unstructured, ns string, strict bool) error {
	findings := lint.Check(withNamespace(objs, ns))
	out.lint(findings)
	if n := strictFailures(findings); strict && n > 0 {
		return &deploy.InputError{Err: fmt.Errorf("lint found %d errors or warnings and --strict is set; nothing was changed", n)}
	}
	return nil
}

// strictFailures counts the findings --strict fails on: errors and warnings.
func strictFailures(findings []lint.Finding) int {
	n := 0
	for _, f := range findings {
		if f.Severity == lint.SeverityError || f.Severity == lint.SeverityWarning {
			n++
		}
	}
	return n
}

// withNamespace returns copies of objs with ns where they have none. Lint matches
// Services and PodDisruptionBudgets to workloads by namespace, and every kind it reads is
// namespaced. Lint only reads objects: a copy shares all but its top level and metadata
// with the original.
func withNamespace(objs []*unstructured.Unstructured, ns string) []*unstructured.Unstructured {
	out := make([]*unstructured.Unstructured, len(objs))
	for i, o := range objs {
		out[i] = o
		if o.GetNamespace() == "" {
			c := &unstructured.Unstructured{Object: maps.Clone(o.Object)}
			if meta, ok := c.Object["metadata"].(map[string]any); ok {
				c.Object["metadata"] = maps.Clone(meta)
			}
			c.SetNamespace(ns)
			out[i] = c
		}
	}
	return out
}

func printFindings(w io.Writer, findings []lint.Finding) {
	for _, f := range findings {
		obj := f.Object.String()
		if f.Container != "" {
			obj += " container " + f.Container
		}
		fmt.Fprintf(w, "lint %s %-7s %s: %s\n    fix: %s\n", f.Rule, f.Severity, obj, f.Message, f.Fix)
	}
}
