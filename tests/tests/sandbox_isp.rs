//! The sandbox ISP as it runs inside the back end, with its default policies, spoken to by
//! Python's smtplib and poplib as a phone and a mail program would: port 25 is blocked for the
//! system's address (OP25B), submission takes mail after STARTTLS and AUTH, and the mail arrives
//! in the POP3 mailbox.

mod common;

use common::{Backend, SMTP_LOGIN_CODE, python, sandbox_env};
use shared::sandbox::MailService;

#[tokio::test]
async fn the_default_isp_blocks_port_25_and_delivers_through_submission() {
    let backend = Backend::start(|_| {}).await;
    let info = backend.client().await.sandbox().await;
    assert!(
        info.endpoints
            .iter()
            .any(|e| e.service == MailService::Submission)
    );
    let env = sandbox_env(&info, backend.data.path());

    let out = python(
        r#"
import os, smtplib, poplib, socket, ssl
ctx = ssl.create_default_context(cafile=os.environ["CA_FILE"])

# OP25B: port 25 accepts the system's connection (from 127.0.0.2) but never greets it…
try:
    smtplib.SMTP("127.0.0.1", int(os.environ["PORT_SMTP"]), timeout=1.5,
                 source_address=("127.0.0.2", 0))
    print("port25: answered")
except (socket.timeout, TimeoutError, smtplib.SMTPServerDisconnected) as e:
    # smtplib reports a greeting that never comes as a disconnect "timed out".
    print("port25: timeout" if "timed out" in str(e) else f"port25: {e}")
# …while a mail program on another address is greeted.
s = smtplib.SMTP("127.0.0.1", int(os.environ["PORT_SMTP"]), timeout=10)
print("port25 from 127.0.0.1:", s.noop()[0])
s.quit()

# The phone sends through submission with STARTTLS and AUTH LOGIN.
s = smtplib.SMTP("127.0.0.1", int(os.environ["PORT_SUBMISSION"]), timeout=10)
s.ehlo("phone.sandbox.test")
s.starttls(context=ctx)
s.ehlo("phone.sandbox.test")
try:
    s.sendmail("operator@sandbox.test", ["karacrix@sandbox.test"], b"Subject: x\r\n\r\nx\r\n")
    print("unauthenticated: accepted")
except smtplib.SMTPSenderRefused as e:
    print("unauthenticated:", e.smtp_code)
s.login("operator", "operator-pass")
s.sendmail("operator@sandbox.test", ["karacrix@sandbox.test"],
           b"From: operator@sandbox.test\r\nTo: karacrix@sandbox.test\r\nSubject: LIST\r\n\r\nLIST\r\n")
s.quit()
print("sent")

# The system's mail program reads its mailbox with STLS.
p = poplib.POP3("127.0.0.1", int(os.environ["PORT_POP3"]), timeout=10)
p.stls(context=ctx)
p.user("karacrix")
p.pass_("karacrix-pass")
count, _ = p.stat()
print("messages:", count)
_, lines, _ = p.retr(1)
print("subject:", [l.decode() for l in lines if l.startswith(b"Subject:")][0])
p.dele(1)
p.quit()
"#,
        &env,
    )
    .await;
    assert!(out.contains("port25: timeout"), "{out}");
    assert!(out.contains("port25 from 127.0.0.1: 250"), "{out}");
    assert!(out.contains("unauthenticated: 530"), "{out}");
    assert!(out.contains("sent"), "{out}");
    assert!(out.contains("messages: 1"), "{out}");
    assert!(out.contains("subject: Subject: LIST"), "{out}");
    backend.stop().await;
}

/// Guessing goes nowhere by changing protocol: five wrong POP3 passwords for one account lock
/// its SMTP AUTH LOGIN too, from any address, though another account logged in over SMTP from the
/// guessing address in between; that other account from elsewhere is still served.
#[tokio::test]
async fn pop3_guesses_lock_the_account_s_smtp_auth() {
    let backend = Backend::start(|_| {}).await;
    let info = backend.client().await.sandbox().await;
    let env = sandbox_env(&info, backend.data.path());

    let script = r#"
import os, poplib, smtplib, ssl
ctx = ssl.create_default_context(cafile=os.environ["CA_FILE"])

def pop3(password):
    p = poplib.POP3("127.0.0.1", int(os.environ["PORT_POP3"]), timeout=10)
    p.stls(context=ctx)
    p.user("karacrix")
    try:
        p.pass_(password)
        result = "+OK"
    except poplib.error_proto as e:
        result = e.args[0].decode()
    p.quit()
    return result

def smtp(source, user, password):
    s = smtplib.SMTP("127.0.0.1", int(os.environ["PORT_SUBMISSION"]), timeout=10,
                     source_address=(source, 0))
    s.ehlo("phone.sandbox.test")
    s.starttls(context=ctx)
    s.ehlo("phone.sandbox.test")
    s.esmtp_features["auth"] = "LOGIN"
    result = login_code(s, user, password)
    s.quit()
    return result

print("guesses:", " ".join(pop3("guess%d" % i)[:4] for i in range(4)))
print("own account:", smtp("127.0.0.1", "operator", "operator-pass"))
print("fifth:", pop3("guess4")[:4])
print("pop3 locked:", pop3("karacrix-pass"))
print("smtp elsewhere:", smtp("127.0.0.3", "karacrix", "karacrix-pass"))
print("other elsewhere:", smtp("127.0.0.3", "operator", "operator-pass"))
"#;
    let out = python(&format!("{SMTP_LOGIN_CODE}\n{script}"), &env).await;
    assert!(out.contains("guesses: -ERR -ERR -ERR -ERR"), "{out}");
    assert!(out.contains("own account: 235"), "{out}");
    assert!(out.contains("fifth: -ERR"), "{out}");
    assert!(
        out.contains("pop3 locked: -ERR [AUTH] too many failed logins"),
        "{out}"
    );
    assert!(out.contains("smtp elsewhere: 454"), "{out}");
    assert!(out.contains("other elsewhere: 235"), "{out}");
    backend.stop().await;
}
