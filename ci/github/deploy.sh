# deploy.sh: the GitHub Action's deploy step. Sourced by the step's own shell (so that
# the runner's SIGINT/SIGTERM, sent to that shell, reach shipsafe; see ci/run.sh).
#
# Environment: SHIPSAFE_COMMAND (deploy|rollback), SHIPSAFE_RELEASE, SHIPSAFE_NAMESPACE,
# SHIPSAFE_ARGS (split on spaces), SHIPSAFE_LOCK_WAIT; GitHub's GITHUB_STEP_SUMMARY,
# GITHUB_OUTPUT and RUNNER_TEMP.
. "$(dirname "${BASH_SOURCE[0]}")/../run.sh"

ss_report="${RUNNER_TEMP:-/tmp}/shipsafe-report-${SHIPSAFE_RELEASE}-$$.json"
ss_args=(--report "$ss_report")
[ -n "${SHIPSAFE_NAMESPACE:-}" ] && ss_args=(-n "$SHIPSAFE_NAMESPACE" "${ss_args[@]}")
case "${SHIPSAFE_COMMAND:-deploy}" in
deploy) ss_args+=(--lock-wait "${SHIPSAFE_LOCK_WAIT:-60s}") ;;
rollback) ss_args+=(--lock-wait "${SHIPSAFE_LOCK_WAIT:-60s}") ;;
*)
	echo "::error title=shipsafe::command ${SHIPSAFE_COMMAND}: want deploy or rollback"
	exit 2
	;;
esac

ss_code=0
# shellcheck disable=SC2086 # SHIPSAFE_ARGS is a list of flags, split on purpose
forward_signals shipsafe "${SHIPSAFE_COMMAND:-deploy}" "$SHIPSAFE_RELEASE" "${ss_args[@]}" $SHIPSAFE_ARGS || ss_code=$?

if [ -s "$ss_report" ]; then
	shipsafe report "$ss_report" --format markdown >>"${GITHUB_STEP_SUMMARY:-/dev/null}" || true
	shipsafe report "$ss_report" --format github || true
	if [ -n "${GITHUB_OUTPUT:-}" ]; then
		{
			echo "report=$ss_report"
			echo "exit-code=$ss_code"
			sed -n 's/^  "status": "\(.*\)",$/status=\1/p; s/^  "revision": \([0-9]*\),$/revision=\1/p' "$ss_report"
		} >>"$GITHUB_OUTPUT"
	fi
else
	echo "::error title=shipsafe ${SHIPSAFE_COMMAND:-deploy} ${SHIPSAFE_RELEASE}::shipsafe exited with code $ss_code and wrote no report"
	[ -n "${GITHUB_OUTPUT:-}" ] && echo "exit-code=$ss_code" >>"$GITHUB_OUTPUT"
fi
exit "$ss_code"
