#!/usr/bin/env bash
# Stops the servers start.sh started under $ROOT.
: "${ROOT:?}"
postfix -c "$ROOT/postfix/etc" stop >/dev/null 2>&1 || true
dovecot -c "$ROOT/dovecot/dovecot.conf" stop >/dev/null 2>&1 || true
