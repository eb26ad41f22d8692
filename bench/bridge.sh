#!/usr/bin/env bash
# Benchmark of the engine's real-server bridge: the release back end against a private Dovecot
# (POP3 + STLS, POP3S) and Postfix (plain SMTP, submission with STARTTLS + SASL AUTH) on
# 127.0.0.1, configured by tests/mailpeers/start.sh as the integration tests are. For each
# backlog size, the engine works through that many queued command mails (bench/bridge.py: time
# to the first and the last reply in the phone's Maildir, CPU, peak memory, duplicates, missing)
# once per connection variant, and Postfix's own ingest is measured in the same run, before and
# after the engine's, with smtp-source at the engine's SMTP concurrency and envelope (time to
# its exit, and until every message is in the Maildir). Prints one tab-separated line per
# measurement and the load average; bench/bridge_report.py makes the table.
#
# Settings (environment):
#   SIZES="1000 10000"         backlogs to run
#   VARIANTS="plain stls tls"  see bench/bridge.py
#   CONNECTIONS=4              --smtp-connections, and smtp-source's -s
#   POSTFIX_BODY=450           smtp-source's -l: delivered, about the size of a reply
#   RUNS=1                     runs of each
#   BENCH_BIN=path             a karacrix-mail binary instead of building one
#   BENCH_VENV=dir             a Python venv with websockets (made when missing)
#   BENCH_KEEP=1               keep the work folder
# Needs root and Debian's postfix, dovecot-core, dovecot-pop3d (scripts/test installs them).
set -euo pipefail
shopt -s inherit_errexit

SIZES=${SIZES:-1000 10000}
VARIANTS=${VARIANTS:-plain stls tls}
CONNECTIONS=${CONNECTIONS:-4}
RUNS=${RUNS:-1}
BENCH=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$BENCH/lib.sh"

ensure_venv websockets websockets
ensure_binary

WORK=$(mktemp -d /tmp/karacrix-bridge.XXXXXX)
chmod 755 "$WORK"
export ROOT=$WORK/peers POP3_PORT POP3S_PORT SMTP_PORT SUBMISSION_PORT
POP3_PORT=$(free_port) POP3S_PORT=$(free_port) SMTP_PORT=$(free_port) SUBMISSION_PORT=$(free_port)
cleanup() {
  bash "$REPO/tests/mailpeers/stop.sh" || true
  [ -n "${BENCH_KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
bash "$REPO/tests/mailpeers/start.sh" | grep -q ready
PHONE=$ROOT/mail/operator

load() { printf 'load\t%s\t%s\n' "$1" "$(cut -d' ' -f1-3 /proc/loadavg)"; }

# Postfix's own ingest: smtp-source, CONNECTIONS sessions reusing their connections, plain SMTP
# (it speaks neither STARTTLS nor AUTH, nor PIPELINING), the engine's envelope (from the
# system's address to the phone: Postfix rewrites and resolves both, as for the replies) and
# about the replies' size (POSTFIX_BODY octets of body: delivered, about the replies' 870),
# timed to its exit and until the last message is in the Maildir.
postfix_ingest() { # MAILS
  local mails=$1 t0 t1 t2
  find "$PHONE/new" "$PHONE/cur" -type f -delete
  t0=$EPOCHREALTIME
  smtp-source -s "$CONNECTIONS" -d -m "$mails" -l "${POSTFIX_BODY:-450}" -M client.bench \
    -f karacrix@sandbox.test -t operator@sandbox.test "127.0.0.1:$SMTP_PORT" >&2
  t1=$EPOCHREALTIME
  t2=$("$PY" "$BENCH/maildir_wait.py" "$PHONE" "$mails" 600)
  printf 'postfix\t%s\t%s\t%s\n' "$mails" \
    "$(echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }')" \
    "$(echo "$t0 $t2" | awk '{ printf "%.3f", $2 - $1 }')"
}

load start
for run in $(seq 1 "$RUNS"); do
  for mails in $SIZES; do
    # Postfix before and after the engine's runs: the machine drifts from run to run, and
    # bench/bridge_report.py sets each engine run against the mean of the two around it.
    log "run $run: Postfix ingest, $mails mails"
    postfix_ingest "$mails"
    for variant in $VARIANTS; do
      log "run $run: engine, $variant, $mails mails"
      printf 'engine\t%s\n' "$("$PY" "$BENCH/bridge.py" "$BIN" "$ROOT" "$variant" "$mails" "$CONNECTIONS")"
      load "after-$variant-$mails"
    done
    log "run $run: Postfix ingest, $mails mails"
    postfix_ingest "$mails"
  done
done
load end
