#!/usr/bin/env bash
# Runs a command with the local stack up; stops the stack afterwards only if it started it.
set -uo pipefail
cd "$(dirname "$0")/.."
up_args=()
if [ "${1:-}" = "--with-floor" ]; then up_args+=(--with-floor); shift; fi
started=0
if ! .venv/bin/python -m scripts.stack is-up "${up_args[@]}"; then
  # A start-up failure is retried once from scratch: on this machine an emulator has, rarely,
  # died while booting right after a previous stack stopped.
  .venv/bin/python -m scripts.stack up "${up_args[@]}" || {
    .venv/bin/python -m scripts.stack down; sleep 3
    .venv/bin/python -m scripts.stack up "${up_args[@]}" || { .venv/bin/python -m scripts.stack down; exit 1; }
  }
  started=1
fi
cleanup() { [ "$started" = 1 ] && .venv/bin/python -m scripts.stack down; }
trap cleanup EXIT
trap 'exit 130' INT TERM
"$@"
