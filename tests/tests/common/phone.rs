//! The phone and its mailbox, played by Python's mail libraries against the sandbox ISP (with
//! the [`super::sandbox_env`] of a back end): it sends raw mails through submission and reads
//! what a mailbox holds, and the engine settings that send through submission with a login.

use shared::settings::MailSettings;

use super::process::{Env, sandbox_python};

/// Sends the raw mails of `MAILS` (a JSON list of strings) through submission as the operator.
const SEND: &str = r#"
import json, os
s = submission("operator")
for raw in json.loads(os.environ["MAILS"]):
    s.sendmail("operator@sandbox.test", ["karacrix@sandbox.test"], raw.encode("utf-8"))
s.quit()
print("sent")
"#;

/// The mails in `USER`'s mailbox (left there), one JSON object a line.
const READ: &str = r#"
import json, os
from email import policy
from email.parser import BytesParser
p = pop3(os.environ["USER"])
count, _ = p.stat()
for i in range(1, count + 1):
    _, lines, _ = p.retr(i)
    msg = BytesParser(policy=policy.default).parsebytes(b"\r\n".join(lines))
    part = msg.get_body(preferencelist=("plain",))
    print(json.dumps({
        "longest_line": max(len(line) for line in lines),
        "references": len(str(msg["References"] or "").split()),
        "subject": str(msg["Subject"]),
        "to": str(msg["To"]),
        "in_reply_to": str(msg["In-Reply-To"] or ""),
        "auto_submitted": str(msg["Auto-Submitted"] or ""),
        "charset": part.get_content_charset(),
        "body": part.get_content(),
    }, ensure_ascii=False))
p.quit()
"#;

/// One mail of a mailbox: its headers decoded, its plain-text part and that part's charset.
#[derive(Debug)]
pub struct Mail {
    /// Octets of its longest line.
    pub longest_line: u64,
    /// Message-IDs in its References.
    pub references: u64,
    pub subject: String,
    pub to: String,
    pub in_reply_to: String,
    pub auto_submitted: String,
    pub charset: String,
    pub body: String,
}

/// The operator's phone sends `mails` (raw, CRLF line ends) to the system's address.
pub async fn phone_sends(env: &Env, mails: &[String]) {
    let mut env = env.clone();
    env.insert("MAILS".into(), serde_json::to_string(mails).unwrap());
    assert!(sandbox_python(SEND, &env).await.contains("sent"));
}

/// The mails in `user`'s sandbox mailbox, in order; they stay there.
pub async fn read_mailbox(env: &Env, user: &str) -> Vec<Mail> {
    let mut env = env.clone();
    env.insert("USER".into(), user.into());
    sandbox_python(READ, &env)
        .await
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            Mail {
                longest_line: v["longest_line"].as_u64().unwrap(),
                references: v["references"].as_u64().unwrap(),
                subject: s("subject"),
                to: s("to"),
                in_reply_to: s("in_reply_to"),
                auto_submitted: s("auto_submitted"),
                charset: s("charset"),
                body: s("body"),
            }
        })
        .collect()
}

/// The demo account sending through submission with AUTH LOGIN, without POP before SMTP.
pub fn submission_settings() -> MailSettings {
    let mut settings = MailSettings::sandbox_demo();
    settings.smtp_service = "submission".into();
    settings.smtp_auth_login = true;
    settings.pop_before_smtp = false;
    settings
}
