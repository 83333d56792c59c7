package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/shipsafe/shipsafe/pkg/deploy"
	"github.com/shipsafe/shipsafe/pkg/kube"
	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/release/store"
)

// revisionView is the JSON shape of a revision in read commands: its summary (see
// release.Summary) and, in `status`, the names of its objects. `history` and `list` read
// summaries only, so they give the number of objects, not their names.
type revisionView struct {
	Release      string            `json:"release"`
	Namespace    string            `json:"namespace"`
	Revision     int               `json:"revision"`
	Status       release.Status    `json:"status"`
	Description  string            `json:"description,omitempty"`
	Reason       string            `json:"reason,omitempty"`
	Evidence     []string          `json:"evidence,omitempty"`
	Verified     *release.Verified `json:"verified,omitempty"`
	RolledBackTo int               `json:"rolledBackTo,omitempty"`
	Source       string            `json:"source,omitempty"`
	Holder       string            `json:"holder,omitempty"`
	StartedAt    time.Time         `json:"startedAt"`
	UpdatedAt    time.Time         `json:"updatedAt"`
	ObjectCount  int               `json:"objectCount"`
	Objects      []string          `json:"objects,omitempty"`
	Chart        *chartView        `json:"chart,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
}

// chartView is the JSON shape of a revision's chart in read commands: which chart, not
// its values or notes (see `shipsafe get`).
type chartView struct {
	Name       string `json:"name"`
	Version    string `json:"version"`
	AppVersion string `json:"appVersion,omitempty"`
	Ref        string `json:"ref,omitempty"`
	Digest     string `json:"digest,omitempty"`
}

func chartViewOf(c *release.Chart) *chartView {
	if c == nil {
		return nil
	}
	return &chartView{Name: c.Name, Version: c.Version, AppVersion: c.AppVersion, Ref: c.Ref, Digest: c.Digest}
}

// viewOf is the view of a revision with the names of its objects.
func viewOf(r *release.Revision) *revisionView {
	if r == nil {
		return nil
	}
	v := summaryViewOf(r.Summary())
	v.Objects = []string{}
	for _, o := range r.Objects {
		v.Objects = append(v.Objects, release.RefOf(o).String())
	}
	return v
}

// summaryViewOf is the view of a summary: without object names.
func summaryViewOf(r *release.Summary) *revisionView {
	return &revisionView{
		Release: r.Release, Namespace: r.Namespace, Revision: r.Number, Status: r.Status,
		Description: r.Description, Reason: r.Reason, Evidence: r.Evidence, Verified: r.Verified, RolledBackTo: r.RolledBackTo,
		Source: r.Source, Holder: r.Holder, StartedAt: r.StartedAt, UpdatedAt: r.UpdatedAt, ObjectCount: r.Objects,
		Chart: chartViewOf(r.Chart), Labels: r.Labels,
	}
}

// readConfig validates -o and builds the action config for a command that waits for
// nothing (read commands and uninstall).
func (a *app) readConfig(output string) (*actionEnv, error) {
	if err := outputFormat(output); err != nil {
		return nil, err
	}
	return a.actionConfig(trackFlags{})
}

func viewsOf(sums []*release.Summary) []*revisionView {
	views := make([]*revisionView, len(sums))
	for i, r := range sums {
		views[i] = summaryViewOf(r)
	}
	return views
}

func (a *app) historyCommand() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:     "history RELEASE",
		Example: historyExamples,
		Short:   "List a release's revisions with their status and reasons",
		Args:    exactArgs(1, "one release name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			env, err := a.readConfig(output)
			if err != nil {
				return err
			}
			revs, err := deploy.Summaries(cmd.Context(), env.cfg, args[0], env.ns)
			if err := a.skipDamaged(revs != nil, err); err != nil {
				return readFailed(err)
			}
			if output == "json" {
				return json.NewEncoder(a.stdout).Encode(viewsOf(revs))
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "REVISION\tUPDATED\tSTATUS\tVERIFIED\tCHART\tDESCRIPTION\tREASON")
			for _, r := range revs {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Number, r.UpdatedAt.Local().Format(time.DateTime), r.Status, verifiedWord(r.Verified), chartName(r.Chart), r.Description, oneLine(r.Reason))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output: text or json")
	return cmd
}

func (a *app) statusCommand() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:     "status RELEASE",
		Example: statusExamples,
		Short:   "Show the deployed and the latest revision of a release",
		Args:    exactArgs(1, "one release name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			env, err := a.readConfig(output)
			if err != nil {
				return err
			}
			st, err := deploy.Status(cmd.Context(), env.cfg, args[0], env.ns)
			if err := a.skipDamaged(st != nil, err); err != nil {
				return readFailed(err)
			}
			if output == "json" {
				return json.NewEncoder(a.stdout).Encode(map[string]any{
					"release": st.Release, "namespace": env.ns, "deployed": viewOf(st.Deployed), "latest": viewOf(st.Latest),
				})
			}
			printStatus(a.stdout, env.ns, st)
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output: text or json")
	return cmd
}

func printStatus(w io.Writer, ns string, st *deploy.StatusReport) {
	fmt.Fprintf(w, "release:   %s\nnamespace: %s\n", st.Release, ns)
	if st.Deployed != nil {
		fmt.Fprintf(w, "deployed:  revision %d (%s, %s)\n", st.Deployed.Number, st.Deployed.Description, st.Deployed.UpdatedAt.Local().Format(time.DateTime))
		if c := st.Deployed.Chart; c != nil {
			fmt.Fprintf(w, "chart:     %s", chartName(c))
			if c.Digest != "" {
				fmt.Fprintf(w, " (%s)", c.Digest)
			}
			fmt.Fprintln(w)
		}
		printVerified(w, st.Deployed.Verified)
		fmt.Fprintf(w, "objects:   %d\n", len(st.Deployed.Objects))
		for _, o := range st.Deployed.Objects {
			fmt.Fprintf(w, "  %s\n", release.RefOf(o))
		}
	} else {
		fmt.Fprintln(w, "deployed:  none")
	}
	if l := st.Latest; l != nil && (st.Deployed == nil || l.Number != st.Deployed.Number) {
		fmt.Fprintf(w, "latest:    revision %d %s: %s\n", l.Number, l.Status, oneLine(l.Reason))
		for _, e := range l.Evidence {
			fmt.Fprintf(w, "  %s\n", oneLine(e))
		}
	}
}

// verifiedWord is a revision's verification outcome in one word for history: passed,
// failed, or "-" (no checks, or none finished).
func verifiedWord(v *release.Verified) string {
	switch {
	case v == nil:
		return "-"
	case v.Passed:
		return "passed"
	}
	return "failed"
}

// printVerified writes a revision's recorded verification: the outcome, the window and
// one line per check. It writes nothing for a revision without one.
func printVerified(w io.Writer, v *release.Verified) {
	if v == nil {
		return
	}
	fmt.Fprintf(w, "verified:  %s (%s to %s)\n", verifiedWord(v), v.Start.Local().Format(time.TimeOnly), v.End.Local().Format(time.TimeOnly))
	for _, c := range v.Checks {
		fmt.Fprintf(w, "  %s\n", c)
	}
}

func (a *app) listCommand() *cobra.Command {
	var (
		output        string
		allNamespaces bool
	)
	cmd := &cobra.Command{
		Use:     "list",
		Example: listExamples,
		Short:   "List releases in the namespace (or all with -A)",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := outputFormat(output); err != nil {
				return err
			}
			clients, err := kube.FromFlags(a.flags)
			if err != nil {
				return &deploy.InputError{Err: err}
			}
			ns := clients.Namespace
			if allNamespaces {
				ns = ""
			}
			revs, err := store.NewSecrets(clients.Typed, ns).WithMetadata(clients.Metadata).List(cmd.Context())
			if err := a.skipDamaged(true, err); err != nil {
				return readFailed(fmt.Errorf("list releases: %w", err))
			}
			if output == "json" {
				return json.NewEncoder(a.stdout).Encode(viewsOf(revs))
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tNAMESPACE\tREVISION\tSTATUS\tUPDATED\tDESCRIPTION")
			for _, r := range revs {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", r.Release, r.Namespace, r.Number, r.Status, r.UpdatedAt.Local().Format(time.DateTime), r.Description)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output: text or json")
	cmd.Flags().BoolVarP(&allNamespaces, "all-namespaces", "A", false, "list releases in every namespace")
	return cmd
}

func (a *app) uninstallCommand() *cobra.Command {
	var (
		purge       bool
		deleteCRDs  bool
		noHooks     bool
		lockWait    time.Duration
		hookTimeout time.Duration
		output      string
	)
	cmd := &cobra.Command{
		Use:     "uninstall RELEASE",
		Example: uninstallExamples,
		Short:   "Delete a release's objects; keep its history unless --purge",
		Long: `Uninstall deletes the objects of the release's deployed revision, and what failed or
interrupted revisions left, then records the release as uninstalled (--purge: deletes its
records). A chart's pre-delete hooks run first, each tracked until ready: one that fails
stops the uninstall before anything is deleted. Its post-delete hooks run after the
objects are gone; one that fails is reported (exit 3) but the release is uninstalled.
--no-hooks runs none.

What stays, as Helm leaves it, without the release's label and annotation: objects
annotated helm.sh/resource-policy: keep or shipsafe.io/resource-policy: keep, and the
CRDs of the release's chart's crds/. --delete-crds deletes those CRDs too (those the
release owns): deleting a CRD deletes every custom resource of its kind in the whole
cluster, in every namespace, whoever made it.`,
		Args: exactArgs(1, "one release name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			env, err := a.readConfig(output)
			if err != nil {
				return err
			}
			p := newEventPrinter(a.stdout, output == "json", env.cfg.Clock.Now())
			res, err := deploy.NewUninstall(env.cfg).Run(cmd.Context(), deploy.UninstallOptions{
				Release: args[0], Namespace: env.ns, Purge: purge, DeleteCRDs: deleteCRDs, LockWait: lockWait,
				NoHooks: noHooks, HookTimeout: hookTimeout, OnEvent: p.print,
			})
			if err != nil {
				return err
			}
			if output == "json" {
				return json.NewEncoder(a.stdout).Encode(res)
			}
			what := "history kept"
			if res.Purged {
				what = "history purged"
			}
			fmt.Fprintf(a.stdout, "release %q uninstalled: %d objects deleted, %s\n", res.Release, len(res.Deleted), what)
			return nil
		},
	}
	cmd.Flags().BoolVar(&purge, "purge", false, "delete the release's records too")
	cmd.Flags().BoolVar(&noHooks, "no-hooks", false, "run none of the release's pre-delete and post-delete hooks")
	cmd.Flags().BoolVar(&deleteCRDs, "delete-crds", false, "also delete the CRDs of the chart's crds/, and so EVERY custom resource of their kinds in the cluster")
	cmd.Flags().DurationVar(&hookTimeout, "timeout", deploy.DefaultTimeout, "how long the hooks of each event may take")
	cmd.Flags().DurationVar(&lockWait, "lock-wait", 0, "how long to wait for a deploy of this release to finish")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output: text or json")
	return cmd
}

// chartName is "name-version" of a revision's chart, or "-" for other sources.
func chartName(c *release.Chart) string {
	if c == nil {
		return "-"
	}
	return c.String()
}

// skipDamaged reports on stderr the damaged records err names, when err is only a
// *store.DamagedError and the command has a result to show (got), and returns nil; any
// other err is returned.
func (a *app) skipDamaged(got bool, err error) error {
	var damaged *store.DamagedError
	if !got || !errors.As(err, &damaged) {
		return err
	}
	for _, d := range damaged.Records {
		fmt.Fprintf(a.stderr, "WARNING: skipped a damaged release record: %v; remove it with `%s`\n", d.Err, d.RemoveCommand())
	}
	return nil
}
