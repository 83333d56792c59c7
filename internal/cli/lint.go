package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/deploy"
	"github.com/shipsafe/shipsafe/pkg/lint"
	"github.com/shipsafe/shipsafe/pkg/manifest"
)

func (a *app) lintCommand() *cobra.Command {
	var (
		files  []string
		strict bool
		output string
	)
	cmd := &cobra.Command{
		Use:   "lint -f FILE|DIR|- [-f ...]",
		Short: "Check manifests against the zero-downtime rules",
		Long: `Lint checks workloads for what drops requests during a rollout: missing readiness
probes, liveness identical to readiness, no preStop drain, a grace period shorter than
preStop + the app's shutdown budget (annotation shipsafe.io/shutdown-budget), rollout
settings that take every replica down, and more. Exit 0 when clean or only warnings;
with --strict, exit 2 when any finding is an error.`,
		Args: exactArgs(0, "no arguments (manifests come with -f)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := outputFormat(output); err != nil {
				return err
			}
			if len(files) == 0 {
				return &usageError{errors.New("no manifests: pass -f FILE, -f DIR or -f - (stdin)")}
			}
			objs, err := manifest.FileSource{Paths: files, Stdin: a.stdin}.Load(cmd.Context())
			if err != nil {
				return &deploy.InputError{Err: err}
			}
			ns, _, err := a.flags.ToRawKubeConfigLoader().Namespace()
			if err != nil || ns == "" {
				ns = "default"
			}
			findings := lint.Check(withNamespace(objs, ns))
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
			if strict && lint.HasErrors(findings) {
				return &codeError{code: ExitInput, err: errors.New("lint found errors (--strict)")}
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&files, "filename", "f", nil, "manifest file, directory (recursive) or - for stdin; repeatable")
	cmd.Flags().BoolVar(&strict, "strict", false, "exit 2 when any finding is an error")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output: text or json")
	return cmd
}

// lintBeforeDeploy prints lint findings as warnings; with strict, errors stop the deploy
// before anything changes.
func (a *app) lintBeforeDeploy(objs []*unstructured.Unstructured, ns string, strict, quiet bool) error {
	findings := lint.Check(withNamespace(objs, ns))
	if !quiet {
		printFindings(a.stderr, findings)
	}
	if strict && lint.HasErrors(findings) {
		return &deploy.InputError{Err: errors.New("lint found errors and --strict is set; nothing was changed")}
	}
	return nil
}

// withNamespace returns copies of objs with ns where they have none. Lint matches
// Services and PodDisruptionBudgets to workloads by namespace, and every kind it reads is
// namespaced.
func withNamespace(objs []*unstructured.Unstructured, ns string) []*unstructured.Unstructured {
	out := make([]*unstructured.Unstructured, len(objs))
	for i, o := range objs {
		out[i] = o
		if o.GetNamespace() == "" {
			out[i] = o.DeepCopy()
			out[i].SetNamespace(ns)
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
