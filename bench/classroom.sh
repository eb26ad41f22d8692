#!/usr/bin/env bash
# Benchmark of the classroom: many simulations side by side on one machine, each with a
# WebSocket client that runs a command round trip (phone → sandbox ISP → engine → reply sent)
# every PERIOD seconds, staggered, and pings the back end four times a period (bench/classroom.py
# describes one step). Two ways to hold N simulations:
#   sessions   one back end started with --class, N trainees joined over HTTP
#   processes  N back ends of the binary, each with its own data folder and sandbox ports (what a
#              user runs today for N trainees)
# For each N in STEPS (ascending) a fresh set of back ends: resident memory per idle simulation,
# round trip p50/p99, ping p50/p99, the back ends' CPU share; the steps stop after the first
# whose round trip p99 passes STOP_MS or in which a round trip failed. Prints one JSON line per
# step, with the load average at its start and end, and the commit measured. (On a disk where an
# fsync takes ~5 ms a single simulation's round trip is already near 100 ms: it commits the
# mail at the ISP, the engine's ledger and the reply durably, so the steps go on past 100 ms.)
#
# Settings (environment):
#   MODE=sessions              sessions or processes
#   STEPS="50 100 200 300 400" simulation counts, ascending
#   PERIOD=20                  seconds between one client's round trips (the back end allows one
#                              今すぐ受信 per page every 20 s, a burst of 3)
#   ROUNDS=5                   measured round trips per client and step
#   STOP_MS=1000               the round trip p99 after which no larger step is run
#   BENCH_BIN=path             a karacrix-mail binary instead of building one
#   BENCH_VENV=dir             a Python venv with websockets (made when missing)
#   BENCH_DIR=/tmp             where the work folder (data folders, logs) goes; /dev/shm (a
#                              tmpfs) takes the disk's fsync out of the round trip
#   BENCH_KEEP=1               keep the work folder (each back end's log and data)
set -euo pipefail
shopt -s inherit_errexit

MODE=${MODE:-sessions}
STEPS=${STEPS:-50 100 200 300 400}
PERIOD=${PERIOD:-20}
ROUNDS=${ROUNDS:-5}
STOP_MS=${STOP_MS:-1000}
BENCH=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$BENCH/lib.sh"

case $MODE in
  sessions | processes) ;;
  *) log "MODE must be sessions or processes, not $MODE"; exit 2 ;;
esac

ensure_venv websockets.asyncio.client websockets
ensure_binary

BIN_PATH=$(realpath "$BIN")

# A client socket and, in processes mode, a back end's sockets and files per simulation.
ulimit -n "$(ulimit -Hn)"

WORK=$(mktemp -d "${BENCH_DIR:-/tmp}/karacrix-classroom.XXXXXX")
# Every back end the client starts is listed in its step's pids file before it runs, and the
# client removes the file once it has stopped them all; so none outlives this script, whatever
# stops the client. A pid is killed only while it still runs this binary.
stop_backends() {
  local pids pid
  for pids in "$WORK"/*/pids; do
    [ -f "$pids" ] || continue
    while read -r pid; do
      if [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$BIN_PATH" ]; then
        kill -9 "$pid" 2>/dev/null || true
      fi
    done <"$pids"
    rm -f "$pids"
  done
}
cleanup() {
  stop_backends
  [ -n "${BENCH_KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

printf '{"commit":"%s","mode":"%s","binary":"%s","dir":"%s","load":"%s"}\n' \
  "$(git -C "$REPO" rev-parse --short HEAD)" "$MODE" "$(basename "$BIN")" \
  "$(df --output=fstype "$WORK" | tail -1)" "$(cut -d' ' -f1-3 /proc/loadavg)"
for n in $STEPS; do
  log "$MODE: $n simulations, $ROUNDS round trips each, one every $PERIOD s"
  step=$WORK/$MODE-$n
  mkdir "$step"
  line=$(cd "$REPO" && "$PY" "$BENCH/classroom.py" "$MODE" "$BIN" "$step" "$n" \
    --period "$PERIOD" --rounds "$ROUNDS" --exercises "$REPO/exercises")
  stop_backends
  printf '%s\n' "$line"
  read -r p99 failed < <(printf '%s' "$line" \
    | "$PY" -c 'import json, sys; r = json.load(sys.stdin); print(r["rt_p99_ms"], r["failed"])')
  if [ "$failed" != 0 ] || [ "$p99" = None ] \
    || awk -v p="$p99" -v l="$STOP_MS" 'BEGIN { exit !(p > l) }'; then
    log "at $n simulations: round trip p99 ${p99} ms, $failed failed; no larger step"
    break
  fi
done
