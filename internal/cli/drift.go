package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/shipsafe/shipsafe/pkg/diff"
)

func (a *app) driftCommand() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:     "drift RELEASE",
		Example: driftExamples,
		Short:   "Show what changed in the cluster since the last deploy: fields edited by hand, objects deleted",
		Long: `Drift compares the live objects of RELEASE with its last deployed revision. Only the
fields the revision sets count: each object is re-applied in a server-side dry run, as a
deploy with --force-conflicts would restore it, and compared with the live object, so
defaults, status and fields that only other managers set are left out. For each drifted
field it names the field manager that changed it (kubectl-scale, kubectl-set,
kubectl-edit...) and when, where the object's managedFields tell. Deleted objects are
listed too. A deploy of the same source repairs the drift: it takes back fields changed
by hand (imperative updates such as kubectl scale, edit or set); a field that another
server-side apply manager (another tool) now owns needs --force-conflicts.

Exit codes: 0 in sync; 1 drifted; 2 error or bad input.`,
		Args: exactArgs(1, "one release name"),
		RunE: readOnly(func(cmd *cobra.Command, args []string) error {
			if err := outputFormat(output); err != nil {
				return err
			}
			cfg, clients, err := a.diffConfig()
			if err != nil {
				return err
			}
			rep, err := diff.Drift(cmd.Context(), cfg, diff.DriftOptions{Release: args[0], Namespace: clients.Namespace})
			if err != nil {
				return err
			}
			if output == "json" {
				if err := json.NewEncoder(a.stdout).Encode(rep); err != nil {
					return err
				}
			} else {
				printDrift(a.stdout, rep, a.colour())
			}
			if rep.Drifted() {
				return &codeError{code: ExitRolledBack}
			}
			return nil
		}),
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output: text or json")
	return cmd
}

// printDrift renders a drift report: per drifted object its fields with who changed
// them, then a summary line.
func printDrift(w io.Writer, rep *diff.DriftReport, colour bool) {
	for _, o := range rep.Objects {
		switch o.State {
		case diff.Deleted:
			fmt.Fprintln(w, paint(colour, ansiRed, "deleted  "+o.Object))
		case diff.Changed:
			fmt.Fprintln(w, paint(colour, ansiYel, "changed  "+o.Object))
		}
		for _, f := range o.Fields {
			line := fmt.Sprintf("  %s: %s -> %s", f.Path, driftValue(f.Deployed), driftValue(f.Live))
			if f.ChangedBy != nil {
				line += "  by " + f.ChangedBy.String()
			}
			fmt.Fprintln(w, line)
		}
	}
	at := ""
	if !rep.DeployedAt.IsZero() {
		at = ", deployed " + rep.DeployedAt.Local().Format(time.DateTime)
	}
	if !rep.Drifted() {
		fmt.Fprintf(w, "release %q is in sync with revision %d%s (%d objects)\n", rep.Release, rep.Revision, at, len(rep.InSync))
		return
	}
	fmt.Fprintf(w, "release %q drifted from revision %d%s: %d objects drifted, %d in sync; deploy again to restore them "+
		"(fields another tool now applies need --force-conflicts)\n", rep.Release, rep.Revision, at, len(rep.Objects), len(rep.InSync))
}

// driftValue renders a field value on one line; "(absent)" for a missing field.
func driftValue(v any) string {
	if v == nil {
		return "(absent)"
	}
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
