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
)
