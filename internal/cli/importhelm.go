package cli

import (
	"github.com/spf13/cobra"

	"github.com/shipsafe/shipsafe/pkg/deploy"
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
		Args: exactArgs(1, "one release name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := df.validate(); err != nil {
				return err
			}
			cfg, ns, err := a.actionConfig(df.track)
			if err != nil {
				return err
			}
			return a.runDeploy(cmd, cfg, &df, df.options(args[0], ns), func(o deploy.Options) (*deploy.Result, error) {
				return deploy.NewImport(cfg).Run(cmd.Context(), o)
			})
		},
	}
	df.bind(cmd)
	return cmd
}
