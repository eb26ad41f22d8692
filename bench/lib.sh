# The set-up the benchmark scripts share; sourced by them after they set BENCH (this folder).
#   BENCH_BIN=path             a karacrix-mail binary instead of building one
#   BENCH_VENV=dir             the Python venv (default: under ~/.cache, shared by the scripts)

REPO=$(dirname "$BENCH")
VENV=${BENCH_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/karacrix-bench/venv}

log() { printf '%s\n' "$*" >&2; }

# The venv with the PACKAGEs unless it imports MODULES already (comma-separated, as Python's
# import takes them); sets PY to its Python.
ensure_venv() { # MODULES PACKAGE...
  local modules=$1
  shift
  if ! "$VENV/bin/python" -c "import $modules" 2>/dev/null; then
    log "creating the Python venv $VENV ($*)"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --upgrade "$@" >&2
  fi
  PY=$VENV/bin/python
}

# BIN: BENCH_BIN, or the release back end built now.
ensure_binary() {
  if [ -n "${BENCH_BIN:-}" ]; then
    BIN=$BENCH_BIN
  else
    log "building the back end (release)"
    (cd "$REPO" && cargo build --release --quiet -p backend >&2)
    BIN=${CARGO_TARGET_DIR:-$REPO/target}/release/karacrix-mail
  fi
  [ -x "$BIN" ] || { log "no binary at $BIN"; exit 1; }
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
