#!/usr/bin/env bash
# run.sh: shipsafe next to Helm and kubectl on the local cluster, in one run.
#  1. a release of $N ConfigMaps: install, upgrade changing all, upgrade changing one,
#     no-op: wall time, peak memory (RSS) and shipsafe's API requests
#  2. time from apply to a failure verdict for a crashing image, and shipsafe's API requests
# Results go to stdout and to bench/results/latest.md; copy them into docs/benchmarks.md.
# Needs the cluster up (make bench does it) and builds Helm from its Go module once.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
export KUBECONFIG="${SHIPSAFE_TEST_KUBECONFIG:-$PWD/.cluster/kubeconfig}"
N=${N:-1000}
KUBECTL=${KUBECTL:-1} # 0: leave out kubectl's rows (minutes each)
VERDICT=${VERDICT:-1} # 0: leave out the failure-verdict section
VERDICT_CAP=${VERDICT_CAP:-120}
ship=$PWD/bin/shipsafe
cache=${XDG_CACHE_HOME:-$HOME/.cache}/shipsafe
helm=$cache/helm-v4.3.1/helm
kubectl=$(command -v kubectl || true)

command -v /usr/bin/time >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time; }
if [ ! -x "$helm" ]; then
	echo "building Helm v4.3.1 from its Go module into $helm"
	mkdir -p "$(dirname "$helm")"
	(cd bench/helmbuild && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=v4.3.1" -o "$helm" helm.sh/helm/v4/cmd/helm)
fi
[ -n "$kubectl" ] || echo "kubectl not found: its rows are skipped"
if [ "$VERDICT" = 1 ]; then make --no-print-directory image APP=crash TAG=bench >/dev/null; fi

work=$(mktemp -d)
# cleanup, on every exit (a failed step, an interrupt, the end): removes the namespaces
# this script makes (with every release and record in them) and the work directory.
cleanup() {
	local n
	for n in bench-ship bench-helm bench-kubectl bench-crash-ship bench-crash-helm bench-crash-kubectl; do
		"$ship" -n default uninstall "bench-ns-$n" --purge >/dev/null 2>&1 || true
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
bash bench/gen.sh "$work" "$N"
mkdir -p bench/results
out=bench/results/latest.md

# measure LABEL CMD...: runs CMD, prints "seconds peak-MiB exit"
measure() {
	local t0 t1 rss code
	t0=$(date +%s.%N)
	set +e
	/usr/bin/time -f '%M' -o "$work/rss" "$@" >"$work/out" 2>&1
	code=$?
	set -e
	t1=$(date +%s.%N)
	rss=$(tail -1 "$work/rss")
	printf '%.2f %.0f %d\n' "$(echo "$t1 - $t0" | bc)" "$(echo "$rss / 1024" | bc)" "$code"
}
ns() { # fresh namespace NAME
	"$ship" -n default deploy "bench-ns-$1" -f <(printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n' "$1") >/dev/null
}
row() { printf '| %s | %s | %s | %s |\n' "$@" | tee -a "$out"; }

{
	echo "# Benchmark run $(date -u +%Y-%m-%dT%H:%MZ)"
	echo
	echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, load average $(cut -d' ' -f1 /proc/loadavg) at the start; Kubernetes v1.34.2 local cluster; Helm v4.3.1; $($kubectl version --client 2>/dev/null | head -1)"
	echo
	echo "## Deploy and upgrade a release of $N ConfigMaps"
	echo
	echo "| tool | step | wall time (s) | peak RSS (MiB) | API requests |"
	echo "|---|---|---|---|---|"
} | tee "$out"
row5() { printf '| %s | %s | %s | %s | %s |\n' "$@" | tee -a "$out"; }
# ship STEP FILE: one shipsafe deploy, with its API requests (from -o json).
ship() {
	read -r t m c < <(measure "$ship" -n bench-ship deploy cms -f "$2" -o json); [ "$c" = 0 ] || { cat "$work/out"; exit 1; }
	row5 shipsafe "$1" "$t" "$m" "$(grep -o '"apiRequests":[0-9]*' "$work/out" | tail -1 | cut -d: -f2)"
}
# helmstep STEP ARGS...: one helm upgrade --install --wait; Helm does not count its requests.
helmstep() {
	local step=$1; shift
	read -r t m c < <(measure "$helm" upgrade --install cms "$work/chart" -n bench-helm --wait --timeout 10m "$@"); [ "$c" = 0 ] || { cat "$work/out"; exit 1; }
	row5 "helm upgrade --install --wait" "$step" "$t" "$m" "not counted"
}

ns bench-ship
ship install "$work/v1.yaml"
ship "upgrade, all $N changed" "$work/v2.yaml"
requests=$(grep -o '"apiRequests":[0-9]*' "$work/out" | tail -1 | cut -d: -f2 || true)
ship "upgrade, 1 changed" "$work/v3.yaml"
ship "no-op (nothing changed)" "$work/v3.yaml"

ns bench-helm
helmstep install
helmstep "upgrade, all $N changed" --set version=2
helmstep "upgrade, 1 changed" --set version=2 --set first=3
helmstep "no-op (nothing changed)" --set version=2 --set first=3

if [ -n "$kubectl" ] && [ "$KUBECTL" = 1 ]; then
	ns bench-kubectl
	read -r t m c < <(measure "$kubectl" apply --server-side -n bench-kubectl -f "$work/v1.yaml"); [ "$c" = 0 ] || { cat "$work/out"; exit 1; }
	row5 "kubectl apply --server-side" "install" "$t" "$m" "not counted"
	read -r t m c < <(measure "$kubectl" apply --server-side -n bench-kubectl -f "$work/v2.yaml"); [ "$c" = 0 ] || { cat "$work/out"; exit 1; }
	row5 "kubectl apply --server-side" "upgrade, all $N changed" "$t" "$m" "not counted"
fi

if [ "$VERDICT" = 1 ]; then
{
	echo
	echo "## Time from apply to a failure verdict (image that crashes at start)"
	echo
	echo "Each tool is capped at ${VERDICT_CAP}s; a tool still waiting then has given no verdict."
	echo
	echo "| tool | exit | seconds to verdict | what it said |"
	echo "|---|---|---|---|"
} | tee -a "$out"
verdict() { # LABEL CMD...
	local label=$1; shift
	read -r t m c < <(measure timeout "$VERDICT_CAP" "$@")
	local said
	said=$(grep -o 'CrashLoopBackOff' "$work/out" | head -1 || true)
	[ -n "$said" ] || said=$(grep -Eio 'timed out[^"]{0,60}|context deadline exceeded|progress deadline[^"]{0,40}|error[^"]{0,60}' "$work/out" | head -1 | tr '|' '/' || true)
	[ "$c" = 124 ] && said="no verdict: still waiting at the cap"
	row "$label" "$c" "$t" "${said:-?}"
}
ns bench-crash-ship
verdict "shipsafe deploy" "$ship" -n bench-crash-ship deploy crasher -f "$work/crash.yaml"
ns bench-crash-helm
verdict "helm upgrade --install --wait" "$helm" upgrade --install crasher "$work/crashchart" -n bench-crash-helm --wait --timeout 5m
if [ -n "$kubectl" ]; then
	ns bench-crash-kubectl
	verdict "kubectl apply + rollout status" bash -c "$kubectl apply -n bench-crash-kubectl -f $work/crash.yaml && $kubectl rollout status -n bench-crash-kubectl deployment/crasher"
fi
fi
if [ -n "$requests" ]; then
	echo | tee -a "$out"
	echo "shipsafe API requests for the $N-ConfigMap upgrade (validation, lock, records, apply, tracking): $requests" | tee -a "$out"
fi
