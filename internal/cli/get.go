package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/shipsafe/shipsafe/pkg/deploy"
	"github.com/shipsafe/shipsafe/pkg/release"
)

// getFlags are the flags every `get` subcommand shares.
type getFlags struct {
	revision    int
	showSecrets bool
	output      string
}

func (a *app) getCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "get manifest|values|hooks|notes RELEASE",
		Example: getExamples,
		Short:   "Print what a revision recorded: its objects, values, hooks or notes",
		Long: `Get prints what a revision of a release recorded, as 'helm get' does: its objects
(manifest), the chart values the user gave (values: files and --set flags merged, not the
chart's defaults), its chart hooks (test hooks included) or the chart's rendered NOTES.txt.
The revision is the deployed one unless --revision names another (with none deployed,
the latest). The data of Secrets is masked unless --show-secrets.

Exit codes: 0 printed; 2 no such release or revision.`,
	}
	cmd.AddCommand(
		a.getSubcommand("manifest", "the revision's objects, as multi-document YAML", printManifest),
		a.getSubcommand("values", "the chart values the user gave (YAML; -o json)", printValues),
		a.getSubcommand("hooks", "the revision's chart hooks, as multi-document YAML", printHooks),
		a.getSubcommand("notes", "the chart's rendered NOTES.txt", printNotes),
	)
	return cmd
}

// getPrinter prints one part of rev.
type getPrinter func(a *app, rev *release.Revision, f getFlags) error

func (a *app) getSubcommand(what, short string, print getPrinter) *cobra.Command {
	var f getFlags
	cmd := &cobra.Command{
		Use:   what + " RELEASE",
		Short: "Print " + short,
		Args:  exactArgs(1, "one release name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.output != "yaml" && f.output != "json" {
				return &usageError{fmt.Errorf("-o %q: want yaml or json", f.output)}
			}
			env, err := a.actionConfig(trackFlags{})
			if err != nil {
				return err
			}
			revs, err := deploy.History(cmd.Context(), env.cfg, args[0], env.ns)
			if err != nil {
				return err
			}
			rev, err := pickRevision(revs, f.revision)
			if err != nil {
				return err
			}
			return print(a, rev, f)
		},
	}
	cmd.Flags().IntVar(&f.revision, "revision", 0, "the revision to show (default: the deployed one)")
	cmd.Flags().BoolVar(&f.showSecrets, "show-secrets", false, "print the data of Secrets instead of masking it")
	cmd.Flags().StringVarP(&f.output, "output", "o", "yaml", "output: yaml or json")
	return cmd
}

// pickRevision returns revision n of revs, or with n == 0 the deployed revision (the
// latest when none is deployed).
func pickRevision(revs []*release.Revision, n int) (*release.Revision, error) {
	if n == 0 {
		if r := release.LastDeployed(revs); r != nil {
			return r, nil
		}
		return release.Latest(revs), nil
	}
	for _, r := range revs {
		if r.Number == n {
			return r, nil
		}
	}
	return nil, &deploy.InputError{Err: fmt.Errorf("release %q has no revision %d; see `shipsafe history %s`", revs[0].Release, n, revs[0].Release)}
}

func printManifest(a *app, rev *release.Revision, f getFlags) error {
	return a.printObjects(maskSecrets(rev.Objects, f.showSecrets), f.output)
}

func printHooks(a *app, rev *release.Revision, f getFlags) error {
	objs := make([]*unstructured.Unstructured, 0, len(rev.Hooks))
	for _, h := range rev.Hooks {
		objs = append(objs, h.Object)
	}
	return a.printObjects(maskSecrets(objs, f.showSecrets), f.output)
}

func printValues(a *app, rev *release.Revision, f getFlags) error {
	values := map[string]any{}
	if rev.Chart != nil && rev.Chart.Values != nil {
		values = rev.Chart.Values
	}
	if f.output == "json" {
		return json.NewEncoder(a.stdout).Encode(values)
	}
	data, err := yaml.Marshal(values)
	if err != nil {
		return fmt.Errorf("print values of revision %d: %w", rev.Number, err)
	}
	_, err = a.stdout.Write(data)
	return err
}

func printNotes(a *app, rev *release.Revision, f getFlags) error {
	notes := ""
	if rev.Chart != nil {
		notes = rev.Chart.Notes
	}
	if f.output == "json" {
		return json.NewEncoder(a.stdout).Encode(map[string]string{"notes": notes})
	}
	_, err := fmt.Fprint(a.stdout, notes)
	return err
}

func (a *app) printObjects(objs []*unstructured.Unstructured, output string) error {
	if output == "json" {
		return writeJSONList(a.stdout, objs)
	}
	return writeYAML(a.stdout, objs)
}

// maskedValue replaces each value of a Secret's data and stringData.
const maskedValue = "(masked: --show-secrets prints it)"

// maskSecrets returns objs with the values of every core Secret's data and stringData
// masked, unless show; the recorded objects are not changed.
func maskSecrets(objs []*unstructured.Unstructured, show bool) []*unstructured.Unstructured {
	if show {
		return objs
	}
	out := make([]*unstructured.Unstructured, len(objs))
	for i, o := range objs {
		out[i] = o
		if o.GetKind() != "Secret" || o.GroupVersionKind().Group != "" {
			continue
		}
		c := o.DeepCopy()
		for _, field := range []string{"data", "stringData"} {
			m, ok := c.Object[field].(map[string]any)
			if !ok {
				continue
			}
			for k := range m {
				m[k] = maskedValue
			}
		}
		out[i] = c
	}
	return out
}
