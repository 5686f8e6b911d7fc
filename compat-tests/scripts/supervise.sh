#!/usr/bin/env bash
# supervise.sh OWNER_PID MAX_SECONDS PIDFILE -- COMMAND [ARGS...]
#
# Runs COMMAND for the compat-test harness and guarantees it cannot outlive the test binary that
# started it: when OWNER_PID is gone (the test process exited, panicked or was killed), when
# MAX_SECONDS have passed, or when this script gets SIGTERM/SIGINT, COMMAND receives SIGTERM and,
# after a 20 s grace period (a Java broker's shutdown hook needs ~10 s), SIGKILL.
# COMMAND's pid is written to PIDFILE (the harness measures its memory from /proc).
set -u
owner=$1 max=$2 pidfile=$3
shift 4

child=
stop() {
  # A signal before COMMAND started: it never starts.
  [ -n "$child" ] || exit 0
  kill -TERM "$child" 2>/dev/null
  for _ in $(seq 200); do
    kill -0 "$child" 2>/dev/null || exit 0
    sleep 0.1
  done
  kill -KILL "$child" 2>/dev/null
  exit 0
}
# TIMER_SLACK_NS (set by the harness for the Java servers, see servers.rs): the kernel's timer
# slack for this script and so for COMMAND, which inherits it. Best effort: a kernel or user that
# may not set it runs COMMAND with the default.
if [ -n "${TIMER_SLACK_NS:-}" ]; then
  { echo "$TIMER_SLACK_NS" > "/proc/$$/timerslack_ns"; } 2>/dev/null || true
fi

# Trapped before COMMAND starts: a stop that comes while this script is still starting (a loaded
# machine) would otherwise end the script alone and leave COMMAND running with no supervisor.
trap stop TERM INT HUP

"$@" &
child=$!
echo "$child" > "$pidfile"

# The loop waits in `read -t` on a pipe nobody writes to: no process per turn (a test run keeps
# dozens of servers under this script), and a trapped signal ends the wait at once.
exec {tick}<> <(:)
start=$SECONDS
while kill -0 "$child" 2>/dev/null; do
  if ! kill -0 "$owner" 2>/dev/null || (( SECONDS - start > max )); then
    stop
  fi
  read -r -t 0.5 -u "$tick" _ || true
done
wait "$child"
exit $?
