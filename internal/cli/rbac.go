package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/shipsafe/shipsafe/pkg/access"
	"github.com/shipsafe/shipsafe/pkg/deploy"
	"github.com/shipsafe/shipsafe/pkg/kube"
)

func (a *app) rbacCommand() *cobra.Command {
	var (
		src             sourceFlags
		createNamespace bool
	)
	cmd := &cobra.Command{
		Use:     "rbac RELEASE -f FILE|DIR|- | -k DIR | --chart PATH [--values FILE] [--set k=v]",
		Example: rbacExamples,
		Short:   "Print the minimal Role (and ClusterRole) that deploying a release needs",
		Long: `Rbac prints, as YAML, the RBAC rules that deploy, rollback and uninstall of the
release need with these sources, and nothing more: a Role in the release namespace (and
in each other namespace the release has objects in) and, when the release has
cluster-scoped objects (or --create-namespace is given), a ClusterRole. Bind them to the
identity that deploys (a RoleBinding per Role, a ClusterRoleBinding for the ClusterRole).

The rules are those that deploy checks with SelfSubjectAccessReviews before it changes
anything: the release records (Secrets) and lock (a coordination.k8s.io Lease) in the
release namespace; get, list, create and patch (server-side apply and its dry run) and delete on
each kind of the release, and watch on each kind deploy waits for; list and watch on
what the wait reads besides (Events, Pods, ReplicaSets, EndpointSlices,
ControllerRevisions, as the kinds need) and get on pods/log, read as evidence of a
failure. The Role is named shipsafe-RELEASE, the ClusterRole shipsafe-NAMESPACE-RELEASE.
Verification checks (a Verification object) need more: their Jobs and the service proxy.

Exit codes: 0 printed; 2 bad input.`,
		Args: exactArgs(1, "one release name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			rel := args[0]
			clients, err := kube.FromFlags(a.flags)
			if err != nil {
				return &deploy.InputError{Err: err}
			}
			l, err := src.load(ctx, a.stdin, func() (chartTarget, error) {
				return liveTarget(ctx, clients, rel, clients.Namespace)
			})
			if err != nil {
				return err
			}
			for _, w := range l.warnings {
				fmt.Fprintf(a.stderr, "Warning: %s\n", w)
			}
			perms, err := deploy.Permissions(clients.Mapper, deploy.DeployOptions{
				Release: rel, Namespace: clients.Namespace, Objects: l.objects, Hooks: l.deployHooks(),
				CreateNamespace: createNamespace,
			})
			if err != nil {
				return err
			}
			set := access.Roles("shipsafe-"+rel, "shipsafe-"+clients.Namespace+"-"+rel, perms)
			return writeRoles(a.stdout, set)
		},
	}
	src.bind(cmd)
	cmd.Flags().BoolVar(&createNamespace, "create-namespace", false, "include what deploy --create-namespace needs (a ClusterRole rule on namespaces)")
	return cmd
}

// writeRoles prints the ClusterRole, if any, then each Role, as multi-document YAML.
func writeRoles(w io.Writer, set access.RoleSet) error {
	var objs []any
	if set.ClusterRole != nil {
		objs = append(objs, set.ClusterRole)
	}
	for _, r := range set.Roles {
		objs = append(objs, r)
	}
	for _, o := range objs {
		data, err := yaml.Marshal(o)
		if err != nil {
			return fmt.Errorf("print role: %w", err)
		}
		if _, err := fmt.Fprintf(w, "---\n%s", data); err != nil {
			return err
		}
	}
	return nil
}
