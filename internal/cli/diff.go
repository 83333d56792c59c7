package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/shipsafe/shipsafe/pkg/apply"
	"github.com/shipsafe/shipsafe/pkg/deploy"
	"github.com/shipsafe/shipsafe/pkg/diff"
	"github.com/shipsafe/shipsafe/pkg/kube"
	"github.com/shipsafe/shipsafe/pkg/release/store"
)

// diffConfig builds the clients and the diff.Config for the release namespace
// (clients.Namespace).
func (a *app) diffConfig() (*diff.Config, *kube.Clients, error) {
	clients, err := kube.FromFlags(a.flags)
	if err != nil {
		return nil, nil, &deploy.InputError{Err: err}
	}
	return &diff.Config{
		Cluster: apply.New(clients.Dynamic, clients.Metadata, clients.Mapper, 0),
		Store:   store.NewSecrets(clients.Typed, clients.Namespace),
		Mapper:  clients.Mapper,
	}, clients, nil
}

func (a *app) diffCommand() *cobra.Command {
	var (
		src        sourceFlags
		output     string
		force      bool
		updateCRDs bool
	)
	cmd := &cobra.Command{
		Use:     "diff RELEASE -f FILE|DIR|- [-f ...] | -k DIR | --chart PATH [--values FILE] [--set k=v]",
		Example: diffExamples,
		Short:   "Show what a deploy would change: objects to create, change and prune",
		Long: `Diff computes what deploying the source as a new revision of RELEASE would change,
without changing anything. Each object is prepared as deploy prepares it (namespace,
release label) and server-side applied in dry-run mode with the shipsafe field manager,
so the server's defaulting and other managers' fields are accounted for; the answer is
compared with the live object. Objects of the last deployed revision that the source
lacks would be pruned, and so would those a failed revision (--rollback=never) left.
The CRDs of a chart's crds/ that exist are unchanged, as deploy leaves them, unless
--update-crds; none is pruned.
Secret values are never shown: a changed value reads "*** (changed)". Output is
coloured on a terminal (not when CI is set or NO_COLOR). A chart's hooks are not part of
the diff: deploy runs them and records them apart from the release's objects.

Exit codes: 0 no changes; 1 changes; 2 error or bad input.`,
		Args: exactArgs(1, "one release name"),
		RunE: readOnly(func(cmd *cobra.Command, args []string) error {
			if err := outputFormat(output); err != nil {
				return err
			}
			if _, err := src.kind(); err != nil {
				return err
			}
			cfg, clients, err := a.diffConfig()
			if err != nil {
				return err
			}
			l, err := src.load(cmd.Context(), a.stdin, func() (chartTarget, error) {
				return liveTarget(cmd.Context(), clients, args[0], clients.Namespace)
			})
			if err != nil {
				return err
			}
			for _, w := range l.warnings {
				fmt.Fprintf(a.stderr, "Warning: %s\n", w)
			}
			if n := len(l.hooks) + len(l.unknown); n > 0 {
				fmt.Fprintf(a.stderr, "Warning: the chart's %s are not part of the diff; deploy runs them, they are not objects of the release\n", plural(n, "hook"))
			}
			opts := diff.Options{
				Release: args[0], Namespace: clients.Namespace, Objects: l.objects, ForceConflicts: force, UpdateCRDs: updateCRDs,
			}
			if l.chart != nil {
				opts.ChartCRDs = l.chart.CRDs
			}
			res, err := diff.Plan(cmd.Context(), cfg, opts)
			if err != nil {
				return err
			}
			if output == "json" {
				if err := json.NewEncoder(a.stdout).Encode(res); err != nil {
					return err
				}
			} else {
				printPlan(a.stdout, res, a.colour())
			}
			if res.Changed() {
				return &codeError{code: ExitRolledBack}
			}
			return nil
		}),
	}
	src.bind(cmd)
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output: text or json")
	cmd.Flags().BoolVar(&updateCRDs, "update-crds", false, "diff a deploy with --update-crds (the chart's crds/ CRDs that exist are compared, not left as they are)")
	cmd.Flags().BoolVar(&force, "force-conflicts", false, "diff a deploy with --force-conflicts (fields other managers own are not reported as conflicts)")
	return cmd
}

// readOnly wraps the RunE of a command that changes nothing (diff, drift): whatever
// fails, the exit code is 2, never 3 ("failed and not restored"), which would send
// someone to repair a cluster nothing touched.
func readOnly(run func(*cobra.Command, []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		err := run(cmd, args)
		var coded *codeError
		if err == nil || errors.As(err, &coded) {
			return err
		}
		return &codeError{code: ExitInput, err: err}
	}
}

// colour reports whether to colour output: on a terminal, unless CI or NO_COLOR is set.
func (a *app) colour() bool {
	return a.env("NO_COLOR") == "" && isTerminal(a.stdout, a.env)
}

// ANSI colours of diff output.
const (
	ansiReset = "\x1b[0m"
	ansiBold  = "\x1b[1m"
	ansiRed   = "\x1b[31m"
	ansiGreen = "\x1b[32m"
	ansiCyan  = "\x1b[36m"
	ansiYel   = "\x1b[33m"
)

// paint wraps s in an ANSI colour when colour is on.
func paint(on bool, code, s string) string {
	if !on {
		return s
	}
	return code + s + ansiReset
}

// printUnified prints a unified diff, colouring removed, added and hunk lines.
func printUnified(w io.Writer, text string, colour bool) {
	for _, line := range strings.SplitAfter(text, "\n") {
		if line == "" {
			continue
		}
		body := strings.TrimSuffix(line, "\n")
		switch {
		case strings.HasPrefix(line, "---"), strings.HasPrefix(line, "+++"):
			body = paint(colour, ansiBold, body)
		case strings.HasPrefix(line, "-"):
			body = paint(colour, ansiRed, body)
		case strings.HasPrefix(line, "+"):
			body = paint(colour, ansiGreen, body)
		case strings.HasPrefix(line, "@@"):
			body = paint(colour, ansiCyan, body)
		}
		fmt.Fprintln(w, body)
	}
}

// printPlan renders a diff result: per object a header, warnings and conflicts, and its
// unified diff (prunes are named only); then a summary line.
func printPlan(w io.Writer, res *diff.Result, colour bool) {
	for _, o := range res.Objects {
		switch o.Action {
		case diff.Create:
			fmt.Fprintln(w, paint(colour, ansiGreen, "+ create "+o.Object))
		case diff.Change:
			fmt.Fprintln(w, paint(colour, ansiYel, fmt.Sprintf("~ change %s (%s)", o.Object, plural(len(o.Fields), "field"))))
		case diff.Prune:
			fmt.Fprintln(w, paint(colour, ansiRed, "- prune  "+o.Object))
		}
		for _, warn := range o.Warnings {
			fmt.Fprintf(w, "  ! %s\n", warn)
		}
		for _, c := range o.Conflicts {
			by := fmt.Sprintf("%q", c.Manager)
			if c.Subresource != "" {
				by += " (through " + c.Subresource + ")"
			}
			fmt.Fprintf(w, "  ! conflict: %s is owned by %s: deploy needs --force-conflicts to take it\n", c.Path, by)
		}
		if o.Action != diff.Prune {
			printUnified(w, o.Diff, colour)
		}
	}
	fmt.Fprintf(w, "release %q: %d to create, %d to change, %d to prune, %d unchanged", res.Release,
		res.Count(diff.Create), res.Count(diff.Change), res.Count(diff.Prune), len(res.Unchanged))
	if res.Revision > 0 {
		fmt.Fprintf(w, " (against deployed revision %d)", res.Revision)
	}
	fmt.Fprintln(w)
}

// plural renders "1 field", "2 fields".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
