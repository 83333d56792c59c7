package cli

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/shipsafe/shipsafe/pkg/deploy"
)

func (a *app) rollbackCommand() *cobra.Command {
	var (
		df      deployFlags
		noHooks bool
	)
	cmd := &cobra.Command{
		Use:   "rollback RELEASE [REVISION]",
		Short: "Deploy an earlier revision again (default: the one deployed before the current)",
		Long: `Rollback deploys the objects of an earlier revision as a new revision, with the safety
of any deploy: lock, record, tracking, and an automatic rollback if it fails. A chart's
pre-rollback hooks of that revision run before its objects are applied and its
post-rollback hooks after they are ready (--no-hooks: none run).

Exit codes as for deploy.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return &usageError{fmt.Errorf("want RELEASE [REVISION], got %d arguments", len(args))}
			}
			return nil
		},
		Example: rollbackExamples,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			out := a.newRunOutput("rollback", &df, args[0])
			defer func() { err = out.finish(err) }()
			if err := df.validate(); err != nil {
				return err
			}
			df.hints(a.stderr)
			to := 0
			if len(args) == 2 {
				n, err := strconv.Atoi(args[1])
				if err != nil || n < 1 {
					return &usageError{fmt.Errorf("revision %q: want a positive number from `shipsafe history %s`", args[1], args[0])}
				}
				to = n
			}
			env, err := a.actionConfig(df.track)
			if err != nil {
				return err
			}
			out.attach(env)
			return a.runDeploy(env, out, &df, "", func(o deploy.RunOptions) (*deploy.Result, error) {
				return deploy.NewRollback(env.cfg).Run(cmd.Context(), deploy.RollbackOptions{
					Release: args[0], Namespace: env.ns, To: to, NoHooks: noHooks, RunOptions: o,
				})
			})
		},
	}
	df.bind(cmd)
	cmd.Flags().BoolVar(&noHooks, "no-hooks", false, "run none of the revision's rollback hooks")
	return cmd
}
