# Shared by scripts/run and scripts/test: install what is missing, quickly skip what is there.
# Every step checks before it acts, so a second run costs seconds.
set -euo pipefail
# No `grep -q` after a pipe below: with pipefail, its early exit makes the writer fail (SIGPIPE).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$ROOT/node_modules/.bin:$PATH"

TRUNK_VERSION=0.21.14
# The CLI must equal the wasm-bindgen crate that Cargo.lock pins.
WASM_BINDGEN_VERSION=$(sed -n '/^name = "wasm-bindgen"$/{n;s/^version = "\(.*\)"$/\1/p;}' Cargo.lock)

step() { printf '\n==> %s\n' "$*"; }

APT_UPDATED=
apt_install() {
  if [ -z "$APT_UPDATED" ]; then
    apt-get update -qq
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

ensure_wasm_toolchain() {
  if ! rustup target list --installed | grep -x wasm32-unknown-unknown >/dev/null; then
    step "adding the wasm32 target"
    rustup target add wasm32-unknown-unknown
  fi
  if ! trunk --version 2>/dev/null | grep -F "$TRUNK_VERSION" >/dev/null; then
    step "installing Trunk $TRUNK_VERSION (about 11 minutes on 2 cores, once)"
    cargo install trunk --version "$TRUNK_VERSION" --locked
  fi
  if ! wasm-bindgen --version 2>/dev/null | grep -F "$WASM_BINDGEN_VERSION" >/dev/null; then
    step "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 4 minutes, once)"
    # Not --locked: one of its locked dependencies is no longer in the registry.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
  fi
}

ensure_npm_tools() {
  if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -d node_modules/@playwright/test ] \
    || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    step "installing npm tools (binaryen's wasm-opt, Playwright)"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
  fi
}

ensure_browser() {
  if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep "Noto Sans CJK" >/dev/null; then
    step "installing Chromium and Japanese fonts"
    apt_install chromium fonts-noto-cjk
  fi
}

ensure_mail_clients() {
  local missing=()
  command -v curl >/dev/null || missing+=(curl)
  command -v python3 >/dev/null || missing+=(python3)
  if [ ${#missing[@]} -gt 0 ]; then
    step "installing ${missing[*]}"
    apt_install "${missing[@]}"
  fi
}

ensure_mail_servers() {
  if [ ! -x /usr/sbin/postfix ] || [ ! -x /usr/sbin/dovecot ] || [ ! -d /usr/lib/dovecot/modules ] \
    || ! ls /usr/lib/dovecot/pop3* >/dev/null 2>&1; then
    step "installing Postfix and Dovecot (tests start private instances on 127.0.0.1)"
    echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections
    echo "postfix postfix/mailname string sandbox.test" | debconf-set-selections
    apt_install postfix dovecot-core dovecot-pop3d
  fi
  command -v openssl >/dev/null || apt_install openssl
}

# The classroom's proxy test runs its own nginx in the foreground; the packaged service must not
# start (no port 80 taken behind the test's back), so invoke-rc.d is told no while installing.
ensure_nginx() {
  if [ ! -x /usr/sbin/nginx ]; then
    step "installing nginx (the classroom proxy test starts a private one on 127.0.0.1)"
    local policy=/usr/sbin/policy-rc.d own_policy=
    if [ ! -e "$policy" ]; then
      printf '#!/bin/sh\nexit 101\n' >"$policy"
      chmod 755 "$policy"
      own_policy=1
    fi
    apt_install nginx
    if [ -n "$own_policy" ]; then rm -f "$policy"; fi
  fi
}

# Fuzzing needs the nightly toolchain (libFuzzer and the sanitizers) and cargo-fuzz; the fuzz
# crate in fuzz/ is outside the workspace, so the stable builds never see it.
FUZZ_TARGETS=(command_mail smtp_session pop3_session pop3_client points_file ws_decode exercise_file)
ensure_fuzz_tools() {
  if ! rustup toolchain list | grep '^nightly' >/dev/null; then
    step "installing the nightly toolchain (for fuzzing)"
    rustup toolchain install nightly --profile minimal
  fi
  if ! cargo fuzz --version >/dev/null 2>&1; then
    step "installing cargo-fuzz (about 30 s, once)"
    cargo install cargo-fuzz --locked
  fi
}

# Runs every fuzz target for a fixed budget of executions each, from its seed corpus in
# fuzz/corpus/ and a fixed random seed, so every run of the test command tries the same inputs
# and its verdict does not depend on the machine's speed (long runs: FUZZING.md). A crash, hang
# or out-of-memory fails the run and leaves the input in fuzz/artifacts/. libFuzzer's progress
# lines go to a log; its final statistics are printed.
run_fuzz_targets() {
  local runs=$1 log
  cargo +nightly fuzz build
  log=$(mktemp)
  for target in "${FUZZ_TARGETS[@]}"; do
    step "fuzzing $target for $runs executions"
    if ! cargo +nightly fuzz run "$target" "fuzz/corpus/$target" -- \
      -runs="$runs" -seed=1 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
      cat "$log"
      rm -f "$log"
      return 1
    fi
    grep '^stat::' "$log" || true
  done
  rm -f "$log"
}

# The wasm32 rustflags (Leptos's type-erased views) come from .cargo/config.toml; Trunk's
# post-build hook then writes the Brotli and gzip copies the back end serves.
build_frontend() {
  step "building the front end (release)"
  trunk build --release
}
