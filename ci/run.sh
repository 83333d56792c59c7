#!/usr/bin/env bash
# run.sh: run shipsafe so that a CI runner's cancel reaches it.
#
# Runners signal only a step's top process, the shell running the step's script
# (GitHub Actions: SIGINT, SIGTERM 7.5 s later, SIGKILL 2.5 s after that; Azure
# Pipelines: SIGTERM). A shell waiting for a foreground child does not pass the signal
# on, and shipsafe would be killed mid-deploy. Source this file in the step's own shell
# and call
#
#	forward_signals shipsafe deploy ...
#
# It runs the command in the background, forwards every INT, TERM and HUP the shell
# gets to it (the first makes shipsafe roll back under its own timeout, the second makes
# it stop waiting and write its records at once), and returns the command's exit code.
# Run as a script (`run.sh shipsafe ...`) it does the same; use it with exec then, so it
# is the top process: `exec ci/run.sh shipsafe ...`.
#
# A SIGKILL (GitLab's shell executor on cancel; any runner's last resort) cannot be
# forwarded: shipsafe's lease then expires, and the next deploy of the release, given a
# --lock-wait longer than the lease (15 s), restores the interrupted revision first.
forward_signals() {
	"$@" &
	local child=$! code
	trap 'kill -INT "$child" 2>/dev/null || true' INT
	trap 'kill -TERM "$child" 2>/dev/null || true' TERM
	trap 'kill -HUP "$child" 2>/dev/null || true' HUP
	# wait returns early when a trapped signal arrives: wait until the child is gone,
	# then once more for its own exit status.
	while kill -0 "$child" 2>/dev/null; do
		wait "$child" || true
	done
	wait "$child"
	code=$?
	trap - INT TERM HUP
	return "$code"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	forward_signals "$@"
	exit $?
fi
