package cli

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/shipsafe/shipsafe/pkg/deploy"
	"github.com/shipsafe/shipsafe/pkg/kube"
	"github.com/shipsafe/shipsafe/pkg/source/helmrelease"
)

func (a *app) importHelmCommand() *cobra.Command {
	var df deployFlags
	cmd := &cobra.Command{
		Use:   "import-helm RELEASE",
		Short: "Take over a Helm release as shipsafe revision 1, without restarting pods",
		Long: `import-helm reads the last deployed revision of a Helm 3 or 4 release from Helm's
storage Secret in the namespace, and deploys exactly those objects as revision 1 of a
shipsafe release of the same name: it adopts them and takes the fields Helm owns with
server-side apply. The values are unchanged, so no pod restarts. The release's hooks are
recorded, not run (Helm ran them), so that shipsafe's rollback and uninstall run them later;
test hooks are left out. Helm's records are left as they are; stop using Helm for the
release afterwards.`,
		Example: `  # take over the Helm release "web" in namespace shop
  shipsafe -n shop import-helm web
  # then deploy it with shipsafe from now on
  shipsafe -n shop deploy web --chart ./charts/web --values prod.yaml`,
		Args: exactArgs(1, "one release name"),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			out := a.newRunOutput("import-helm", &df, args[0])
			defer func() { err = out.finish(err) }()
			if err := df.validate(); err != nil {
				return err
			}
			env, err := a.actionConfig(df.track)
			if err != nil {
				return err
			}
			out.attach(env)
			return a.runDeploy(env, out, &df, "", func(o deploy.RunOptions) (*deploy.Result, error) {
				return deploy.NewImport(env.cfg).Run(cmd.Context(), deploy.ImportOptions{
					Release: args[0], Namespace: env.ns, Read: readHelmRelease(env.clients, env.ns, args[0]), RunOptions: o,
				})
			})
		},
	}
	df.bind(cmd)
	return cmd
}

// readHelmRelease returns what reads the last deployed revision of Helm release name for
// deploy.Import; a release Helm does not have is an *deploy.InputError.
func readHelmRelease(clients *kube.Clients, namespace, name string) func(context.Context) (*deploy.Imported, error) {
	return func(ctx context.Context) (*deploy.Imported, error) {
		rel, err := helmrelease.Load(ctx, clients.Typed, namespace, name)
		if errors.Is(err, helmrelease.ErrNotFound) {
			return nil, &deploy.InputError{Err: err}
		}
		if err != nil {
			return nil, err
		}
		hooks, tests := rel.RunnableHooks()
		return &deploy.Imported{Name: rel.Name, Revision: rel.Revision, Chart: rel.Chart, Objects: rel.Objects, Hooks: hooks, TestHooks: tests}, nil
	}
}
