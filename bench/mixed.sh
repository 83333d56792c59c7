#!/usr/bin/env bash
# mixed.sh: cost per step, every tool's API requests counted the same way, in one run.
#  A. 1,000 ConfigMaps (bench/gen.sh): install, upgrade changing all, upgrade changing
#     one, no-op; for bin/shipsafe and, when SHIP_BEFORE names another shipsafe binary
#     (an older build), for that one too, side by side.
#  B. 200 mixed objects (bench/genmixed.sh): the same four steps, shipsafe (--chart) and
#     helm upgrade --install --wait, on the same chart.
#  R. 1,000 ConfigMaps, after an install (v2): REPEAT (default 9) rounds of an upgrade changing
#     one object (cm-0000, back and forth) and a no-op, the binaries of A taking turns
#     within each round; per binary and step the median, lowest and highest wall time.
#     Single samples of a step this short vary by a third from run to run.
# Requests are counted by bench/reqcount, a loopback proxy in front of the API server
# (one line per request; a watch is one). Peak RSS from GNU time. Results go to stdout and
# bench/results/mixed.md. Needs the cluster up and `make build helm`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
kc="${SHIPSAFE_TEST_KUBECONFIG:-$PWD/.cluster/kubeconfig}"
ship=$PWD/bin/shipsafe
before=${SHIP_BEFORE:-}
helm=${XDG_CACHE_HOME:-$HOME/.cache}/shipsafe/helm-v4.3.1/helm
SECTIONS=${SECTIONS:-AB}
REPEAT=${REPEAT:-9}
work=$(mktemp -d)
proxy=
run=$(date +%s)
gone=() # namespaces made by this run (each by a release bench-ns-NAME)
# cleanup, on every exit (a failed step, an interrupt, the end): uninstalls the Helm
# release, removes the run's namespaces (with every release and record in them) and its
# CRD, stops the proxy. It talks to the API server directly, not through the proxy.
cleanup() {
	local n
	for n in "${gone[@]}"; do
		if [[ $n == bench-mx-helm-* ]]; then
			KUBECONFIG=$kc "$helm" uninstall mixed -n "$n" --wait --timeout 2m >/dev/null 2>&1 || true
		fi
		KUBECONFIG=$kc "$ship" -n default uninstall "bench-ns-$n" --purge >/dev/null 2>&1 || true
	done
	# Neither tool deletes a chart's crds/ on uninstall (Helm's rule): the run's CRD goes here.
	if [[ $SECTIONS == *B* ]] && command -v kubectl >/dev/null; then
		kubectl --kubeconfig "$kc" delete crd "widgets.bench$run.shipsafe.test" --ignore-not-found >/dev/null 2>&1 || true
	fi
	[ -z "$proxy" ] || kill "$proxy" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
go build -o "$work/reqcount" ./bench/reqcount
server=$(awk '/server:/{print $2; exit}' "$kc")
ca=$(awk '/certificate-authority:/{print $2; exit}' "$kc")
awk '/token:/{print $2; exit}' "$kc" >"$work/token"
"$work/reqcount" -upstream "$server" -ca "$ca" -token-file "$work/token" -log "$work/req.log" -addr-file "$work/addr" &
proxy=$!
for _ in $(seq 50); do [ -s "$work/addr" ] && break; sleep 0.1; done
printf 'apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: "http://%s"}\ncontexts:\n- name: c\n  context: {cluster: c}\ncurrent-context: c\n' "$(cat "$work/addr")" >"$work/kc"
export KUBECONFIG=$work/kc
bash bench/gen.sh "$work" 1000
bash bench/genmixed.sh "$work" "$run"
mkdir -p bench/results
out=bench/results/mixed.md

# step TOOL STEP CMD...: runs CMD through the proxy; one table row.
step() {
	local tool=$1 what=$2; shift 2
	: >"$work/req.log"
	local t0 t1 code
	t0=$(date +%s.%N)
	set +e
	/usr/bin/time -f '%M' -o "$work/rss" "$@" >"$work/out" 2>&1
	code=$?
	set -e
	t1=$(date +%s.%N)
	[ "$code" = 0 ] || { cat "$work/out"; exit 1; }
	printf '| %s | %s | %.2f | %.0f | %d |\n' "$tool" "$what" "$(echo "$t1 - $t0" | bc)" "$(echo "$(tail -1 "$work/rss") / 1024" | bc)" "$(wc -l <"$work/req.log")" | tee -a "$out"
}
# ns NAME: a fresh namespace, removed by cleanup.
ns() {
	gone+=("$1")
	"$ship" -n default deploy "bench-ns-$1" -f <(printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n' "$1") >/dev/null
}

{
	echo "# Benchmark run $(date -u +%Y-%m-%dT%H:%MZ)"
	echo
	echo "Machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start."
	echo
	echo "| tool | step | wall time (s) | peak RSS (MiB) | API requests |"
	echo "|---|---|---|---|---|"
} | tee "$out"

if [[ $SECTIONS == *A* ]]; then
	bins=("shipsafe:$ship")
	[ -z "$before" ] || bins=("shipsafe before:$before" "${bins[@]}")
	i=0
	for b in "${bins[@]}"; do
		label=${b%%:*} bin=${b#*:}
		n="bench-cm$i-$run"; i=$((i + 1)); ns "$n"
		step "$label" "1,000 ConfigMaps: install" "$bin" -n "$n" deploy cms -f "$work/v1.yaml"
		step "$label" "1,000 ConfigMaps: upgrade, all changed" "$bin" -n "$n" deploy cms -f "$work/v2.yaml"
		step "$label" "1,000 ConfigMaps: upgrade, 1 changed" "$bin" -n "$n" deploy cms -f "$work/v3.yaml"
		step "$label" "1,000 ConfigMaps: no-op" "$bin" -n "$n" deploy cms -f "$work/v3.yaml"
	done
fi
if [[ $SECTIONS == *B* ]]; then
	n="bench-mx-ship-$run"; ns "$n"
	chart=$work/mixed
	step shipsafe "200 mixed: install" "$ship" -n "$n" deploy mixed --chart "$chart"
	step shipsafe "200 mixed: upgrade, all changed" "$ship" -n "$n" deploy mixed --chart "$chart" --set version=2
	step shipsafe "200 mixed: upgrade, 1 changed" "$ship" -n "$n" deploy mixed --chart "$chart" --set version=2 --set first=3
	step shipsafe "200 mixed: no-op" "$ship" -n "$n" deploy mixed --chart "$chart" --set version=2 --set first=3
	n="bench-mx-helm-$run"; ns "$n"
	h=("$helm" upgrade --install mixed "$chart" -n "$n" --wait --timeout 10m)
	step "helm --wait" "200 mixed: install" "${h[@]}"
	step "helm --wait" "200 mixed: upgrade, all changed" "${h[@]}" --set version=2
	step "helm --wait" "200 mixed: upgrade, 1 changed" "${h[@]}" --set version=2 --set first=3
	step "helm --wait" "200 mixed: no-op" "${h[@]}" --set version=2 --set first=3
fi
if [[ $SECTIONS == *R* ]]; then
	bins=("shipsafe:$ship")
	[ -z "$before" ] || bins=("shipsafe before:$before" "${bins[@]}")
	i=0
	for b in "${bins[@]}"; do
		n="bench-rp$i-$run"; i=$((i + 1)); ns "$n"
		"${b#*:}" -n "$n" deploy cms -f "$work/v2.yaml" >/dev/null
	done
	# sample FILE CMD...: runs CMD through the proxy; appends "seconds requests" to FILE.
	sample() {
		local file=$1; shift
		: >"$work/req.log"
		local t0 t1
		t0=$(date +%s.%N)
		"$@" >"$work/out" 2>&1 || { cat "$work/out"; exit 1; }
		t1=$(date +%s.%N)
		printf '%.3f %d\n' "$(echo "$t1 - $t0" | bc)" "$(wc -l <"$work/req.log")" >>"$file"
	}
	for ((k = 1; k <= REPEAT; k++)); do
		v=$work/v3.yaml
		((k % 2)) || v=$work/v2.yaml
		i=0
		for b in "${bins[@]}"; do
			n="bench-rp$i-$run"; i=$((i + 1))
			sample "$work/one-$i" "${b#*:}" -n "$n" deploy cms -f "$v"
			sample "$work/noop-$i" "${b#*:}" -n "$n" deploy cms -f "$v"
		done
	done
	echo | tee -a "$out"
	echo "$REPEAT rounds on 1,000 ConfigMaps, binaries taking turns:" | tee -a "$out"
	echo | tee -a "$out"
	echo "| tool | step | median wall time (s) | lowest | highest | API requests |" | tee -a "$out"
	echo "|---|---|---|---|---|---|" | tee -a "$out"
	i=0
	for b in "${bins[@]}"; do
		i=$((i + 1))
		for s in "one:upgrade, 1 changed" "noop:no-op"; do
			f=$work/${s%%:*}-$i
			sort -n "$f" | awk -v tool="${b%%:*}" -v step="${s#*:}" '{t[NR] = $1; if (NR == 1 || $2 < lo) lo = $2; if (NR == 1 || $2 > hi) hi = $2}
				END {printf "| %s | %s | %.2f | %.2f | %.2f | %s |\n", tool, step, t[int((NR + 1) / 2)], t[1], t[NR], (lo == hi ? lo : lo " to " hi)}' | tee -a "$out"
		done
	done
fi
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out"
