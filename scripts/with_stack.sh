#!/usr/bin/env bash
# Runs a command with the local stack up, then stops only the services this script started: a
# stack (or the part of one) that was already running, someone else's, is left running.
set -uo pipefail
cd "$(dirname "$0")/.."
# One run at a time per checkout: a second would use the first's stack, and the first's EXIT
# trap would stop it under the second. Fails at once rather than waits (a run may last hours).
mkdir -p .stack
if command -v flock >/dev/null; then
  exec 9>.stack/with_stack.lock
  flock -n 9 || { echo "with_stack: another make test/run/bench is using this checkout's stack; wait for it to end" >&2; exit 1; }
else
  echo "with_stack: WARNING: flock (util-linux) not found: a second make test/run/bench at once in this checkout would share (and stop) this one's stack" >&2
fi
stack_cmd=(.venv/bin/python -m scripts.stack)
stack() { "${stack_cmd[@]}" "$@"; }
up_args=()
if [ "${1:-}" = "--with-floor" ]; then up_args+=(--with-floor); shift; fi
started=$(mktemp)  # `stack up --record` writes here the names of the services it started
# Runs "$@" in the background, so that a SIGTERM is acted on at once (bash runs a trap only when
# its foreground command has ended, and make signals this script alone): the TERM trap passes it
# on. `trap -` gives it back the Ctrl-C that background commands otherwise ignore, and `<&0` the
# standard input they would not get.
run() {
  ( trap - INT QUIT; exec "$@" 9>&- ) <&0 &  # 9>&-: the lock is this script's alone
  child=$!
  wait "$child"
  local status=$?
  child=  # reaped: no longer to be signalled
  return "$status"
}
child=
# Set before `stack up`, so an interrupted start-up is cleaned up too: `stack up` stops what it
# started when it fails or is interrupted (each service runs in a session of its own, which a
# Ctrl-C never reaches) and then empties the record, so this `down` stops only what it left.
trap 'stack down --record "$started"; rm -f "$started"' EXIT
# A Ctrl-C reaches the child too: let it wind up first.
trap '[ -n "$child" ] && wait "$child"; exit 130' INT
trap '[ -n "$child" ] && { kill -TERM "$child" 2>/dev/null; wait "$child"; }; exit 143' TERM
if ! stack is-up "${up_args[@]}"; then
  # A failed start-up is retried once: on this machine an emulator has, rarely, died while
  # booting right after a previous stack stopped.
  run "${stack_cmd[@]}" up --record "$started" "${up_args[@]}" \
    || { sleep 3; run "${stack_cmd[@]}" up --record "$started" "${up_args[@]}"; } || exit 1
fi
run "$@"
