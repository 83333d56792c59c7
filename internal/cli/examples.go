package cli

// Examples sections of the commands' --help.
const (
	deployExamples = `  # deploy plain YAML (a file, a directory, or - for stdin)
  shipsafe -n shop deploy web -f k8s/
  # kustomize, or a Helm chart with values
  shipsafe -n shop deploy web -k overlays/prod
  shipsafe -n shop deploy web --chart ./charts/web --values prod.yaml --set image.tag=v2
  # in CI: JSON lines on stdout, a JSON report file, wait up to 2 min for another deploy
  shipsafe -n shop deploy web -f k8s/ -o json --report report.json --lock-wait 2m
  # keep a failed revision for debugging instead of rolling back (exit 3 on failure)
  shipsafe -n shop deploy web -f k8s/ --rollback=never`

	rollbackExamples = `  # back to the revision deployed before the current one
  shipsafe -n shop rollback web
  # to revision 3 (see 'shipsafe history web')
  shipsafe -n shop rollback web 3
  # and check the release is healthy afterwards
  shipsafe -n shop status web`

	rootExamples = `  shipsafe -n shop deploy web -f k8s/
  shipsafe -n shop status web
  kubectl shipsafe -n shop history web   # the same binary as a kubectl plugin`

	diffExamples = `  # what a deploy would change, without changing anything (exit 1: differences)
  shipsafe -n shop diff web -f k8s/
  shipsafe -n shop diff web --chart ./chart --values prod.yaml -o json`

	driftExamples = `  # have the live objects changed since the last deploy? (exit 1: drifted)
  shipsafe -n shop drift web`

	lintExamples = `  shipsafe lint -f k8s/
  shipsafe lint --chart ./chart --values prod.yaml --strict   # exit 2 on errors`

	historyExamples = `  shipsafe -n shop history web
  shipsafe -n shop history web -o json`

	statusExamples = `  shipsafe -n shop status web
  shipsafe -n shop status web -o json`

	listExamples = `  shipsafe -n shop list
  shipsafe list --all-namespaces -o json`

	uninstallExamples = `  shipsafe -n shop uninstall web`

	renderExamples = `  # the objects a deploy would apply, as YAML
  shipsafe -n shop render web --chart ./chart --values prod.yaml
  shipsafe -n shop render web -k overlays/prod
  # offline, for a chosen Kubernetes version and API versions, as helm template
  shipsafe render web --chart ./chart --offline --kube-version 1.29.0 --api-versions monitoring.coreos.com/v1`

	rbacExamples = `  # the Role a CI identity needs to deploy, roll back and uninstall the release
  shipsafe -n shop rbac web -f k8s/ > web-role.yaml
  shipsafe -n shop rbac web --chart ./chart --values prod.yaml`

	getExamples = `  # what a revision recorded: values as given, objects (Secrets masked), hooks, notes
  shipsafe -n shop get values web
  shipsafe -n shop get manifest web --revision 3 --show-secrets
  shipsafe -n shop get hooks web
  shipsafe -n shop get notes web`

	verifyExamples = `  # run the deployed revision's verification checks again
  shipsafe -n shop verify web`
)
