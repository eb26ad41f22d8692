#!/usr/bin/env bash
# Benchmark of the sandbox mail provider against real servers, side by side in one run:
#   smtp    SMTP ingest (messages/s) of the sandbox, of Postfix itself (smtpd → cleanup → queue →
#           virtual delivery into a Maildir: like the sandbox, it answers 250 only once the
#           message is on disk) and of two servers that store nothing (Postfix's smtp-sink,
#           Python's aiosmtpd), all loaded by Postfix's smtp-source (1 and 16 clients, with and
#           without -d)
#   pop3    RETR of every message of one mailbox, sandbox against Dovecot's pop3d, same messages
# Postfix and Dovecot run as the integration tests run them (tests/mailpeers/start.sh).
#   memory  the back end's VmRSS/VmHWM while its mailbox grows, sampled every MEMORY_STEP messages
# Prints Markdown tables (see BENCHMARKS.md). Needs root on Debian 12 for the packages it installs
# when missing (postfix, dovecot-core, dovecot-pop3d) and network access to pip for a venv.
#
# Settings (environment):
#   PHASES="smtp pop3 memory"  which measurements to run
#   RUNS=3                     runs per measurement (the report gives the median)
#   SMTP_MESSAGES=2000 SMTP_SIZE=1024
#   POP3_MESSAGES=10000 POP3_SIZE=4096 POP3_WINDOW=32 (the pipelined client's window)
#   MEMORY_MESSAGES=100000 MEMORY_STEP=10000
#   BENCH_BIN=path             a karacrix-mail binary to measure instead of building one
#   BENCH_VENV=dir             the Python venv (default: under ~/.cache)
#   BENCH_KEEP=1               keep the work folder (logs, data) for inspection
set -euo pipefail
shopt -s inherit_errexit

PHASES=${PHASES:-smtp pop3 memory}
RUNS=${RUNS:-3}
SMTP_MESSAGES=${SMTP_MESSAGES:-2000}
SMTP_SIZE=${SMTP_SIZE:-1024}
POP3_MESSAGES=${POP3_MESSAGES:-10000}
POP3_SIZE=${POP3_SIZE:-4096}
POP3_WINDOW=${POP3_WINDOW:-32}
MEMORY_MESSAGES=${MEMORY_MESSAGES:-100000}
MEMORY_STEP=${MEMORY_STEP:-10000}
BENCH=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$BENCH/lib.sh"
HOST=127.0.0.1
FROM=operator@sandbox.test
TO=karacrix@sandbox.test
CLIENT_NAME=client.bench
MAIL_UID=5000 # owner of Dovecot's Maildir; needs no passwd entry

# ------------------------------------------------------------------ tools
ensure_packages() {
  if command -v smtp-source >/dev/null && command -v smtp-sink >/dev/null \
    && command -v dovecot >/dev/null && [ -x /usr/lib/dovecot/pop3 ]; then
    return
  fi
  [ "$(id -u)" = 0 ] || { log "need root to install postfix and dovecot"; exit 1; }
  log "installing postfix, dovecot-core, dovecot-pop3d"
  echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    postfix dovecot-core dovecot-pop3d >&2 \
    || { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y \
      --no-install-recommends postfix dovecot-core dovecot-pop3d >&2; }
}

# ------------------------------------------------------------------ processes
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  stop_peers
  if [ "${BENCH_KEEP:-0}" = 1 ]; then
    log "work folder kept: $WORK"
  else
    rm -rf "$WORK"
  fi
}

stop() { # PID: ends one server we started
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

wait_port() { # PORT
  local i=0
  until (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; do
    i=$((i + 1))
    [ $i -le 1000 ] || { log "nothing listens on port $1"; exit 1; }
    sleep 0.01
  done
}

# Starts our back end with its data in WORK/NAME; sets OURS_PID, OURS_SMTP, OURS_POP3.
start_ours() {
  local dir=$WORK/$1 url i=0
  mkdir -p "$dir"
  "$BIN" --listen "$HOST:0" --data-dir "$dir/data" --static-dir "$dir/no-front-end" \
    --sandbox-address "$HOST" --sandbox-smtp-port 0 --sandbox-submission-port 0 \
    --sandbox-smtps-port 0 --sandbox-pop3-port 0 --sandbox-pop3s-port 0 \
    >"$dir/stdout.log" 2>"$dir/stderr.log" &
  OURS_PID=$!
  PIDS+=("$OURS_PID")
  until url=$(grep -o 'http://[^/ ]*' "$dir/stdout.log" 2>/dev/null | head -n1) && [ -n "$url" ]; do
    i=$((i + 1))
    [ $i -le 1000 ] || { log "the back end did not start: $(cat "$dir/stderr.log")"; exit 1; }
    sleep 0.01
  done
  # Open port 25 (no OP25B, nothing required) the way the trainer's panel does.
  "$PY" "$BENCH/set_policy.py" "ws://${url#http://}/ws" >"$dir/endpoints"
  OURS_SMTP=$(awk '$1 == "smtp" { print $2 }' "$dir/endpoints")
  OURS_POP3=$(awk '$1 == "pop3" { print $2 }' "$dir/endpoints")
}

memory_of() { # PID: "VmRSS VmHWM" in kB
  awk '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 } END { print r, h }' "/proc/$1/status"
}

record() { printf '%s\n' "$(IFS=$'\t'; echo "$*")" >>"$RESULTS"; }
record_load() { record load "$1" "$(cut -d' ' -f1-3 /proc/loadavg)"; }

# smtp-source with the common arguments; prints the elapsed seconds.
source_mail() { # PORT MESSAGES SIZE [smtp-source options...]
  local port=$1 messages=$2 size=$3 t0 t1
  shift 3
  t0=$EPOCHREALTIME
  smtp-source "$@" -m "$messages" -l "$size" -M "$CLIENT_NAME" -f "$FROM" -t "$TO" \
    "$HOST:$port" >&2
  t1=$EPOCHREALTIME
  echo "$t0 $t1" | awk '{ printf "%.6f", $2 - $1 }'
}

# The floor for a server that acknowledges only what is on disk: the time of one durable 4 KiB
# write (an overwrite of allocated blocks, the cheapest kind) on the data directory's disk.
sync_probe() {
  local probe=$WORK/sync-probe writes=1000 t0 t1
  dd if=/dev/zero of="$probe" bs=4k count=$writes status=none
  t0=$EPOCHREALTIME
  dd if=/dev/zero of="$probe" bs=4k count=$writes oflag=dsync conv=notrunc status=none
  t1=$EPOCHREALTIME
  record sync "$writes" "$(echo "$t0 $t1" | awk '{ printf "%.6f", $2 - $1 }')"
  rm -f "$probe"
}

# ------------------------------------------------------------------ SMTP ingest
phase_smtp() {
  local sink_port aio_port run server port config secs
  log "== SMTP ingest: $SMTP_MESSAGES messages of $SMTP_SIZE octets, $RUNS runs"
  record_load smtp-start
  sink_port=$(free_port)
  smtp-sink -u nobody -h sink.bench "$HOST:$sink_port" 256 &
  local sink_pid=$!
  PIDS+=("$sink_pid")
  aio_port=$(free_port)
  "$PY" -m aiosmtpd -n -l "$HOST:$aio_port" -c aiosmtpd.handlers.Sink 2>"$WORK/aiosmtpd.log" &
  local aio_pid=$!
  PIDS+=("$aio_pid")
  start_peers smtp-peers
  start_ours smtp
  wait_port "$sink_port"
  wait_port "$aio_port"
  wait_port "$OURS_SMTP"
  local delivered=0 postfix_delivered=0 done_at
  # Interleaved: run 1 of everything, then run 2..., so a burst of other load hits all alike.
  for run in $(seq 1 "$RUNS"); do
    sync_probe
    for config in "1" "16" "1 -d" "16 -d"; do
      for server in smtp-sink aiosmtpd postfix sandbox; do
        case $server in
          smtp-sink) port=$sink_port ;;
          aiosmtpd) port=$aio_port ;;
          postfix) port=$PEERS_SMTP ;;
          sandbox) port=$OURS_SMTP ;;
        esac
        local t0=$EPOCHREALTIME
        # shellcheck disable=SC2086 # "16 -d" splits into the session count and -d
        secs=$(source_mail "$port" "$SMTP_MESSAGES" "$SMTP_SIZE" -s $config)
        record smtp "$server" "$config" "$run" "$SMTP_MESSAGES" "$SMTP_SIZE" "$secs"
        log "  $server -s $config run $run: $secs s"
        case $server in
          sandbox) delivered=$((delivered + SMTP_MESSAGES)) ;;
          postfix)
            # Postfix's queue drains into the Maildir before the next server runs, so its
            # delivery agent takes no CPU from them; how long that took is kept too.
            postfix_delivered=$((postfix_delivered + SMTP_MESSAGES))
            done_at=$("$PY" "$BENCH/maildir_wait.py" "$PEERS_MAILDIR" "$postfix_delivered")
            secs=$(echo "$t0 $done_at" | awk '{ printf "%.6f", $2 - $1 }')
            record smtp-delivered postfix "$config" "$run" "$SMTP_MESSAGES" "$SMTP_SIZE" "$secs"
            log "  postfix -s $config run $run: all in the Maildir after $secs s"
            ;;
        esac
      done
    done
  done
  # Every message the sandbox acknowledged is in the mailbox, and every one Postfix took is in
  # its Maildir (maildir_wait.py counted them as they landed).
  local stored
  stored=$("$PY" "$BENCH/pop3_retr.py" "$HOST" "$OURS_POP3" karacrix karacrix-pass --stat | cut -d' ' -f1)
  [ "$stored" = "$delivered" ] || { log "sandbox stored $stored of $delivered messages"; exit 1; }
  stored=$(find "$PEERS_MAILDIR/new" -type f | wc -l)
  [ "$stored" = "$postfix_delivered" ] || { log "Postfix stored $stored of $postfix_delivered messages"; exit 1; }
  record_load smtp-end
  stop_peers
  stop "$OURS_PID"
  stop "$aio_pid"
  stop "$sink_pid"
}

# Postfix and Dovecot as the integration tests run them (tests/mailpeers/start.sh): Postfix's
# smtpd, cleanup, qmgr and virtual delivery agent writing Maildirs, and Dovecot's pop3d reading
# them, users karacrix and operator. Sets PEERS_SMTP (Postfix's plain SMTP port, which takes
# mail for sandbox.test without AUTH, as the sandbox's port 25 does with the policy opened),
# PEERS_POP3 (Dovecot, plain USER/PASS allowed) and PEERS_MAILDIR (karacrix's Maildir).
PEERS_ENV=()
start_peers() { # NAME: the work subfolder
  PEERS_SMTP=$(free_port)
  PEERS_POP3=$(free_port)
  PEERS_ENV=(ROOT="$WORK/$1" SMTP_PORT="$PEERS_SMTP" POP3_PORT="$PEERS_POP3"
    POP3S_PORT="$(free_port)" SUBMISSION_PORT="$(free_port)")
  mkdir -p "$WORK/$1"
  chmod 755 "$WORK" # the daemons' own users walk into it
  env "${PEERS_ENV[@]}" bash "$REPO/tests/mailpeers/start.sh" >/dev/null
  PEERS_MAILDIR=$WORK/$1/mail/${TO%@*}
}

stop_peers() {
  [ ${#PEERS_ENV[@]} -eq 0 ] || env "${PEERS_ENV[@]}" bash "$REPO/tests/mailpeers/stop.sh"
  PEERS_ENV=()
}

# ------------------------------------------------------------------ POP3 retrieval
# One timed RETR pass: records it. SERVER PORT WINDOW RUN
retr_pass() {
  local line
  line=$("$PY" "$BENCH/pop3_retr.py" "$HOST" "$2" karacrix karacrix-pass --window "$3")
  set -- "$1" "$2" "$3" "$4" $line
  [ "$5" = "$POP3_MESSAGES" ] || { log "$1 has $5 messages, not $POP3_MESSAGES"; exit 1; }
  record pop3 "$1" "$3" "$4" "$5" "$6" "$7"
  log "  $1 window $3 run $4: $7 s"
}

phase_pop3() {
  local dovecot_port run server port window
  log "== POP3: RETR of $POP3_MESSAGES messages of about $POP3_SIZE octets, $RUNS runs"
  record_load pop3-start
  start_ours pop3
  wait_port "$OURS_SMTP"
  source_mail "$OURS_SMTP" "$POP3_MESSAGES" "$POP3_SIZE" -s 16 -d >/dev/null
  # Dovecot gets the very messages the sandbox stored (with its trace field), written as a
  # local delivery agent writes them: one file per message in new/, LF line ends.
  start_peers pop3-peers
  dovecot_port=$PEERS_POP3
  "$PY" "$BENCH/pop3_retr.py" "$HOST" "$OURS_POP3" karacrix karacrix-pass --window "$POP3_WINDOW" \
    --maildir "$PEERS_MAILDIR" "$MAIL_UID" "$MAIL_UID" >/dev/null
  # Untimed warm-up: Dovecot moves new/ to cur/ and builds its index on the first login.
  "$PY" "$BENCH/pop3_retr.py" "$HOST" "$dovecot_port" karacrix karacrix-pass --window "$POP3_WINDOW" >/dev/null
  "$PY" "$BENCH/pop3_retr.py" "$HOST" "$OURS_POP3" karacrix karacrix-pass --window "$POP3_WINDOW" >/dev/null
  for run in $(seq 1 "$RUNS"); do
    for window in 1 "$POP3_WINDOW"; do
      for server in dovecot sandbox; do
        case $server in
          dovecot) port=$dovecot_port ;;
          sandbox) port=$OURS_POP3 ;;
        esac
        retr_pass "$server" "$port" "$window" "$run"
      done
    done
  done
  record_load pop3-end
  stop_peers
  stop "$OURS_PID"
}

# ------------------------------------------------------------------ memory
phase_memory() {
  local count=0 secs mem
  log "== memory: mailbox growing to $MEMORY_MESSAGES messages of $SMTP_SIZE octets"
  record_load memory-start
  start_ours memory
  wait_port "$OURS_SMTP"
  mem=$(memory_of "$OURS_PID")
  record memory 0 "${mem% *}" "${mem#* }" 0
  while [ "$count" -lt "$MEMORY_MESSAGES" ]; do
    secs=$(source_mail "$OURS_SMTP" "$MEMORY_STEP" "$SMTP_SIZE" -s 16 -d)
    count=$((count + MEMORY_STEP))
    mem=$(memory_of "$OURS_PID")
    record memory "$count" "${mem% *}" "${mem#* }" "$secs"
    log "  $count messages: VmRSS/VmHWM ${mem% *}/${mem#* } kB ($secs s)"
  done
  # A POP3 login lists the whole mailbox (sizes only).
  local stat
  stat=$("$PY" "$BENCH/pop3_retr.py" "$HOST" "$OURS_POP3" karacrix karacrix-pass --stat)
  [ "${stat%% *}" = "$count" ] || { log "mailbox has ${stat%% *} messages, not $count"; exit 1; }
  mem=$(memory_of "$OURS_PID")
  record memory-login "$count" "${mem% *}" "${mem#* }" "${stat##* }"
  record_load memory-end
  stop "$OURS_PID"
}

# ------------------------------------------------------------------ main
WORK=$(mktemp -d "${TMPDIR:-/tmp}/karacrix-bench.XXXXXX")
RESULTS=$WORK/results.tsv
trap cleanup EXIT
ensure_packages
ensure_venv "aiosmtpd, websockets" aiosmtpd websockets
ensure_binary
record_load before
record machine "$(nproc)" "$(date -u +%Y-%m-%dT%H:%MZ)"
record versions "$(dpkg-query -W -f '${Version}' postfix)" \
  "$(dovecot --version | cut -d' ' -f1)" "$("$PY" -c 'import aiosmtpd; print(aiosmtpd.__version__)')"
for phase in $PHASES; do
  "phase_$phase"
done
record_load after
"$PY" "$BENCH/report.py" "$RESULTS"
