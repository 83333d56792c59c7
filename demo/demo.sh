#!/usr/bin/env bash
# The shipsafe demo: a first deploy, a good upgrade, a broken upgrade that shipsafe
# detects and rolls back on its own, then the release history. Run it with `make demo`,
# which brings the local cluster up and builds bin/shipsafe first.
set -euo pipefail
cd "$(dirname "$0")/.."
export KUBECONFIG="$PWD/.cluster/kubeconfig"
ship=./bin/shipsafe
ns=shipsafe-demo
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
render() { # render VERSION IMAGE -> manifest file
	sed -e "s#\${VERSION}#$1#" -e "s#\${IMAGE}#$2#" demo/app.yaml.tmpl >"$work/app-$1.yaml"
	echo "$work/app-$1.yaml"
}
image() { make --no-print-directory image APP="$1" TAG="$2" >/dev/null; echo "local.test/$1:$2"; }

say "Building the demo images (a graceful Go service, and one that crashes at start)"
good=$(image graceful demo)
bad=$(image crash demo)
echo "built $good and $bad into the cluster's containerd"

say "A release for the demo namespace itself (cluster-scoped objects work too)"
$ship -n default deploy shipsafe-demo-namespace -f demo/namespace.yaml

say "1. First deploy of release 'shop', version v1"
$ship -n $ns lint -f "$(render v1 "$good")"
$ship -n $ns deploy shop -f "$(render v1 "$good")"

say "2. A good upgrade to v2: rolled out with no dropped request, tracked until ready"
$ship -n $ns deploy shop -f "$(render v2 "$good")"

say "3. A broken upgrade to v3 (the image crashes at start): shipsafe sees the CrashLoopBackOff"
say "   within seconds, shows the container's log, and rolls back to v2 by itself"
set +e
$ship -n $ns deploy shop -f "$(render v3 "$bad")"
code=$?
set -e
echo "shipsafe exited $code (1 = the deploy failed and the cluster is back at the last good revision)"

say "4. History: what happened, with the reason"
$ship -n $ns history shop

say "5. Status: the cluster runs the last good revision"
$ship -n $ns status shop

say "Done. Clean up with: $ship -n $ns uninstall shop --purge && $ship -n default uninstall shipsafe-demo-namespace --purge; make cluster-down"
