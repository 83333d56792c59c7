package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shipsafe/shipsafe/pkg/deploy"
	"github.com/shipsafe/shipsafe/pkg/health"
)

// deployFlags are the flags shared by deploy and rollback.
type deployFlags struct {
	timeout         time.Duration
	rollbackTimeout time.Duration
	lockWait        time.Duration
	rollback        string
	forceConflicts  bool
	adopt           bool
	historyMax      int
	output          string
	report          string
	track           trackFlags
	verify          verifyFlags
	description     string
	labels          map[string]string
	atomic, wait    bool
}

func (f *deployFlags) bind(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.DurationVar(&f.timeout, "timeout", deploy.DefaultTimeout, "how long to wait for the release to be ready")
	fs.DurationVar(&f.rollbackTimeout, "rollback-timeout", deploy.DefaultRollbackTimeout, "how long the automatic rollback may take (it runs even after a signal)")
	fs.DurationVar(&f.lockWait, "lock-wait", 0, "how long to wait for another deploy of this release to finish")
	fs.StringVar(&f.rollback, "rollback", "auto", "on failure: auto (roll back to the last deployed revision) or never (leave it for debugging; exit 3)")
	fs.BoolVar(&f.forceConflicts, "force-conflicts", false, "also take fields that another tool's server-side apply owns (fields changed by hand are always taken back)")
	fs.BoolVar(&f.adopt, "adopt", false, "take over existing objects not managed by this release (Helm: --take-ownership)")
	fs.BoolVar(&f.adopt, "take-ownership", false, "Helm's spelling of --adopt")
	fs.StringVar(&f.description, "description", "", "the revision's description in history (default: install, upgrade or rollback to N)")
	fs.StringToStringVarP(&f.labels, "labels", "l", nil, "labels of the revision's record (key=value,...), as Helm's --labels")
	fs.BoolVar(&f.atomic, "atomic", false, "accepted for Helm scripts: shipsafe always rolls a failed deploy back (--rollback never turns it off)")
	fs.BoolVar(&f.wait, "wait", false, "accepted for Helm scripts: shipsafe always waits until every object is ready (--timeout bounds it)")
	_ = fs.MarkHidden("take-ownership")
	_ = fs.MarkHidden("atomic")
	_ = fs.MarkHidden("wait")
	fs.IntVar(&f.historyMax, "history-max", deploy.DefaultHistoryMax, "revisions to keep (negative: all)")
	fs.StringVarP(&f.output, "output", "o", "text", "output: text or json (one JSON object per line, each with a \"type\"; the last is the \"result\")")
	fs.StringVar(&f.report, "report", "", "write a JSON report of the run to this file (schema: docs/schema/v1/report.schema.json)")
	fs.Int32Var(&f.track.crashLoopRestarts, "crashloop-restarts", 2, "container restarts before a pod counts as crash-looping")
	fs.DurationVar(&f.track.readyGrace, "ready-grace", 10*time.Second, "extra time past a readiness probe's own budget before a not-ready pod fails the deploy")
	fs.DurationVar(&f.track.unschedulableGrace, "unschedulable-grace", 15*time.Second, "how long a pod may stay unschedulable before it fails the deploy (a pod a node autoscaler is adding a node for waits until --timeout)")
	fs.DurationVar(&f.track.settle, "settle", health.DefaultSettle, "how long a container without a readiness probe must run before it counts as ready")
	f.verify.bind(cmd)
}

func (f *deployFlags) validate() error {
	if f.rollback != "auto" && f.rollback != "never" {
		return &usageError{fmt.Errorf("--rollback=%q: want auto or never", f.rollback)}
	}
	if f.atomic && f.rollback == "never" {
		return &usageError{errors.New("--atomic and --rollback never contradict each other: pass one")}
	}
	if _, err := parseLabels(f.labels); err != nil {
		return err
	}
	return outputFormat(f.output)
}

// hints tells a Helm user what Helm's flags mean here.
func (f *deployFlags) hints(w io.Writer) {
	if f.atomic {
		fmt.Fprintln(w, "Note: --atomic is shipsafe's default: a failed deploy is rolled back to the last deployed revision (and a failed install removed)")
	}
	if f.wait {
		fmt.Fprintln(w, "Note: --wait is shipsafe's default: it always waits until every object is ready, within --timeout")
	}
}

// runOptions returns the deploy.RunOptions the flags set.
func (f *deployFlags) runOptions() deploy.RunOptions {
	hm := f.historyMax
	if hm == 0 {
		hm = -1
	}
	return deploy.RunOptions{
		Timeout:         f.timeout,
		RollbackTimeout: f.rollbackTimeout,
		LockWait:        f.lockWait,
		NoRollback:      f.rollback == "never",
		ForceConflicts:  f.forceConflicts,
		Adopt:           f.adopt,
		HistoryMax:      hm,
		Description:     f.description,
		Labels:          f.labels,
	}
}

func (a *app) deployCommand() *cobra.Command {
	var (
		df              deployFlags
		src             sourceFlags
		strict          bool
		createNamespace bool
		updateCRDs      bool
	)
	cmd := &cobra.Command{
		Use:   "deploy RELEASE -f FILE|DIR|- [-f ...] | -k DIR | --chart PATH [--values FILE] [--set k=v]",
		Short: "Install or upgrade a release; roll back automatically if it fails",
		Long: `Deploy validates the objects with a server-side dry run, takes the release lock,
records the new revision as pending, applies with server-side apply, tracks every object
until ready (failing fast with events and logs), prunes what the release no longer has, and
marks the revision deployed. On failure, timeout or signal it rolls back to the last
deployed revision and removes what the failed revision created.

A Helm chart (--chart) is rendered with Helm's SDK against the cluster (see 'shipsafe
render'). Its hooks run as Helm runs them: pre-install/pre-upgrade hooks are created and
tracked until ready (a Job complete) before the objects are applied, post-install/
post-upgrade hooks after the objects are ready, one at a time by weight; their
hook-delete-policy is honoured (before-hook-creation when none). A failing hook fails the
deploy, which rolls back. The revision records its hooks: 'shipsafe rollback' to it runs
its pre-rollback/post-rollback hooks, and 'shipsafe uninstall' its pre-delete/post-delete
hooks; the automatic rollback of a failed deploy runs none. The CRDs of the chart's
crds/ follow Helm's rule: created when absent, left as they are when they exist (the
output says so; --update-crds applies the chart's version), never deleted by a prune or
a failed deploy's cleanup, never changed back by a rollback. Test hooks are recorded with
the revision and not run, as Helm does ('shipsafe get hooks' shows them), unless
--verify-chart-tests runs them as verification job checks. The chart's NOTES.txt is
printed after a successful deploy.

A Verification object (apiVersion shipsafe.io/v1alpha1) among the sources is read, not
applied: once every object is ready its checks (HTTP through the API server's service
proxy, PromQL queries, Jobs) run for its window while the revision is still pending, and
a failed check fails the deploy like any failure (rolled back, exit 1; exit 3 with
--rollback never). The revision records it: a rollback to it runs the same checks.

Exit codes: 0 deployed; 1 failed and rolled back; 2 bad input, nothing changed;
3 failed and not restored; 4 locked by another deploy.`,
		Example: deployExamples,
		Args:    exactArgs(1, "one release name"),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			out := a.newRunOutput("deploy", &df, args[0])
			defer func() { err = out.finish(err) }()
			if err := df.validate(); err != nil {
				return err
			}
			if _, err := src.kind(); err != nil {
				return err
			}
			df.hints(a.stderr)
			env, err := a.actionConfig(df.track)
			if err != nil {
				return err
			}
			out.attach(env)
			stdin, err := src.replayableStdin(a.stdin)
			if err != nil {
				return err
			}
			// A chart is rendered for the release as it stands; if another deploy changes
			// it before this one holds the lock, render again (see deploy.ErrStaleRender).
			for attempt := 1; ; attempt++ {
				err := a.deployOnce(cmd, env, out, &df, &src, stdin(), args[0], strict, createNamespace, updateCRDs)
				if !errors.Is(err, deploy.ErrStaleRender) || attempt == maxRenders {
					return err
				}
				fmt.Fprintf(a.stderr, "Warning: %v; rendering the chart again\n", err)
			}
		},
	}
	src.bind(cmd)
	cmd.Flags().BoolVar(&strict, "strict", false, "fail (exit 2) on lint errors and warnings instead of printing them")
	cmd.Flags().BoolVar(&createNamespace, "create-namespace", false, "create the release namespace if it is missing (uninstall keeps it)")
	cmd.Flags().BoolVar(&updateCRDs, "update-crds", false, "also apply the chart's crds/ CRDs that exist (by default, as Helm, they are only created when absent); a rollback never changes them back")
	cmd.Flags().BoolVar(&df.verify.chartTests, "verify-chart-tests", false, "run the chart's test hooks as verification job checks once the release is ready (a failing test rolls it back)")
	df.bind(cmd)
	return cmd
}

// maxRenders bounds how often deploy renders a chart whose release others keep changing.
const maxRenders = 3

// deployOnce loads the source, lints it and deploys it as a new revision of rel.
func (a *app) deployOnce(cmd *cobra.Command, env *actionEnv, out *runOutput, df *deployFlags, src *sourceFlags, stdin io.Reader, rel string, strict, createNamespace, updateCRDs bool) error {
	if updateCRDs && src.chart == "" {
		return &usageError{errors.New("--update-crds applies to the CRDs of a chart's crds/ (--chart); the CRDs of -f and -k are applied like any object")}
	}
	l, err := src.load(cmd.Context(), stdin, func() (chartTarget, error) {
		return liveTarget(cmd.Context(), env.clients, rel, env.ns)
	})
	if err != nil {
		return err
	}
	for _, w := range l.warnings {
		fmt.Fprintf(a.stderr, "Warning: %s\n", w)
	}
	if df.verify.chartTests {
		if src.chart == "" {
			return &usageError{errors.New("--verify-chart-tests applies to --chart only")}
		}
		if err := l.testsAsChecks(rel); err != nil {
			return err
		}
	}
	if err := df.verify.validate(l.verification); err != nil {
		return err
	}
	if err := a.lintBeforeDeploy(out, l.objects, env.ns, strict); err != nil {
		return err
	}
	var notes string
	if l.chart != nil {
		notes = l.chart.Notes
	}
	return a.runDeploy(env, out, df, notes, func(o deploy.RunOptions) (*deploy.Result, error) {
		return deploy.NewDeploy(env.cfg).Run(cmd.Context(), deploy.DeployOptions{
			Release: rel, Namespace: env.ns, Objects: l.objects, Hooks: l.deployHooks(),
			RenderedFor: l.rendered, Source: l.describe, Verification: l.verification,
			Chart: l.chart, CreateNamespace: createNamespace, UpdateCRDs: updateCRDs, RunOptions: o,
		})
	})
}

// runDeploy wires events to the run's output, runs the action with the flags'
// RunOptions and renders its outcome (the result line and report come from out.finish),
// with a chart's notes after a success.
func (a *app) runDeploy(env *actionEnv, out *runOutput, df *deployFlags, notes string, run func(deploy.RunOptions) (*deploy.Result, error)) error {
	opts := df.runOptions()
	opts.OnEvent = out.event
	opts.Stop = a.stop
	env.cfg.Verifier = df.verify.runner(env)
	out.startTicker()
	res, err := run(opts)
	out.result = res
	if err != nil {
		var ferr *deploy.FailedError
		if errors.As(err, &ferr) && df.output != "json" {
			out.settle()
			fmt.Fprintf(a.stdout, "FAILED: %s\n", ferr.Reason)
		}
		return err
	}
	out.notes = notes
	if df.output == "json" {
		return nil
	}
	out.settle()
	out.lines.summary(res.Tracked)
	if res.Verified != nil {
		for _, l := range res.Verified.Summary() {
			fmt.Fprintf(a.stdout, "  verified %s\n", l)
		}
	}
	if res.Recovered > 0 {
		fmt.Fprintf(a.stdout, "recovered interrupted revision %d first\n", res.Recovered)
	}
	fmt.Fprintf(a.stdout, "release %q revision %d deployed in %s\n", res.Release, res.Revision, formatElapsed(res.Duration))
	if strings.TrimSpace(notes) != "" {
		fmt.Fprintf(a.stdout, "NOTES:\n%s\n", strings.TrimRight(notes, "\n"))
	}
	return nil
}
