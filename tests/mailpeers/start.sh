#!/usr/bin/env bash
# Starts a private Dovecot (POP3 + STLS, POP3S) and Postfix (SMTP, submission with STARTTLS and
# SASL through Dovecot) on 127.0.0.1 for the integration tests, configured from scratch under
# $ROOT. Domain sandbox.test with the users karacrix and operator (training passwords).
# Needs root and Debian's postfix, dovecot-core, dovecot-pop3d (scripts/test installs them).
# Env: ROOT, POP3_PORT, POP3S_PORT, SMTP_PORT, SUBMISSION_PORT. Prints "ready" when listening.
set -euo pipefail
: "${ROOT:?}" "${POP3_PORT:?}" "${POP3S_PORT:?}" "${SMTP_PORT:?}" "${SUBMISSION_PORT:?}"
DOMAIN=sandbox.test
MAIL_UID=5000   # owns the Maildirs; needs no passwd entry

mkdir -p "$ROOT"/{tls,dovecot/run,dovecot/state,postfix/etc,postfix/spool,postfix/data,mail}
# The Maildirs exist from the start, so a test can watch them for deliveries (inotify).
for user in karacrix operator; do mkdir -p "$ROOT/mail/$user"/{cur,new,tmp}; done
chown -R "$MAIL_UID:$MAIL_UID" "$ROOT/mail"
chown postfix:postfix "$ROOT/postfix/data"

# A test CA and a server certificate for 127.0.0.1.
cd "$ROOT/tls"
openssl req -x509 -new -nodes -newkey rsa:2048 -sha256 -days 30 -subj "/CN=mail peers test CA" \
  -keyout ca.key -out ca.pem -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -new -nodes -newkey rsa:2048 -sha256 -subj "/CN=127.0.0.1" \
  -keyout server.key -out server.csr 2>/dev/null
printf '%s\n' 'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature,keyEncipherment' \
  'extendedKeyUsage=serverAuth' 'subjectAltName=IP:127.0.0.1,DNS:localhost' > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -sha256 \
  -extfile server.ext -out server.pem 2>/dev/null
cat server.pem ca.pem > chain.pem
chmod 600 ca.key server.key

printf 'karacrix:{PLAIN}karacrix-pass\noperator:{PLAIN}operator-pass\n' > "$ROOT/dovecot/users"
chgrp dovecot "$ROOT/dovecot/users"
chmod 640 "$ROOT/dovecot/users"

cat > "$ROOT/dovecot/dovecot.conf" <<CONF
instance_name = peers-$POP3_PORT
base_dir = $ROOT/dovecot/run
state_dir = $ROOT/dovecot/state
log_path = $ROOT/dovecot/dovecot.log
protocols = pop3
listen = 127.0.0.1
disable_plaintext_auth = no
auth_mechanisms = plain login apop
auth_username_format = %Ln
auth_failure_delay = 0
passdb {
  driver = passwd-file
  args = scheme=PLAIN $ROOT/dovecot/users
}
userdb {
  driver = static
  args = uid=$MAIL_UID gid=$MAIL_UID
}
mail_location = maildir:$ROOT/mail/%n
mail_uid = $MAIL_UID
mail_gid = $MAIL_UID
first_valid_uid = $MAIL_UID
first_valid_gid = $MAIL_UID
namespace inbox {
  inbox = yes
}
ssl = yes
ssl_cert = <$ROOT/tls/chain.pem
ssl_key = <$ROOT/tls/server.key
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $POP3_PORT
  }
  inet_listener pop3s {
    address = 127.0.0.1
    port = $POP3S_PORT
    ssl = yes
  }
}
service auth {
  unix_listener auth-postfix {
    mode = 0660
    user = postfix
    group = postfix
  }
}
# Without this, a failed login delays the next ones from the same address by seconds.
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
CONF

printf 'karacrix@%s karacrix/\noperator@%s operator/\n' $DOMAIN $DOMAIN > "$ROOT/postfix/etc/vmailbox"
# No comment may follow a value in main.cf: it would become part of the value.
cat > "$ROOT/postfix/etc/main.cf" <<CONF
compatibility_level = 3.6
queue_directory = $ROOT/postfix/spool
data_directory = $ROOT/postfix/data
maillog_file = $ROOT/postfix/maillog
maillog_file_prefixes = $ROOT
mail_owner = postfix
setgid_group = postdrop
myhostname = mail.$DOMAIN
mydomain = $DOMAIN
myorigin = \$mydomain
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
alias_maps =
alias_database =
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
local_transport = error:5.1.1 local delivery disabled
default_transport = error:5.7.1 no mail leaves this test
relay_transport = error:5.7.1 no mail leaves this test
virtual_mailbox_domains = $DOMAIN
virtual_mailbox_base = $ROOT/mail
virtual_mailbox_maps = texthash:$ROOT/postfix/etc/vmailbox
virtual_uid_maps = static:$MAIL_UID
virtual_gid_maps = static:$MAIL_UID
virtual_transport = virtual
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions = reject_unlisted_recipient
smtpd_tls_cert_file = $ROOT/tls/chain.pem
smtpd_tls_key_file = $ROOT/tls/server.key
smtpd_tls_security_level = may
smtpd_sasl_type = dovecot
smtpd_sasl_path = $ROOT/dovecot/run/auth-postfix
smtpd_sasl_auth_enable = no
smtpd_tls_auth_only = yes
CONF

cat > "$ROOT/postfix/etc/master.cf" <<CONF
127.0.0.1:$SMTP_PORT inet n - n - - smtpd
127.0.0.1:$SUBMISSION_PORT inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
tlsmgr unix - - n 1000? 1 tlsmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp unix - - n - - smtp
relay unix - - n - - smtp
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
virtual unix - n n - - virtual
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
CONF

# Daemons must not inherit our stdout: a caller waiting for it to close would wait forever.
dovecot -c "$ROOT/dovecot/dovecot.conf" </dev/null >/dev/null 2>&1
postfix -c "$ROOT/postfix/etc" start </dev/null >/dev/null 2>&1 || { tail -20 "$ROOT/postfix/maillog" >&2; exit 1; }
# Both have bound their ports when these commands return: Dovecot listens before it detaches,
# and `postfix start` waits (master -w) until the master daemon has opened its services.
for port in "$POP3_PORT" "$POP3S_PORT" "$SMTP_PORT" "$SUBMISSION_PORT"; do
  (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "port $port is not open" >&2; exit 1; }
done
echo ready
