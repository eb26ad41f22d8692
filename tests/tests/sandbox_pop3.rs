//! The sandbox POP3 server in-process on a free loopback port, driven by real clients: Python's
//! poplib (USER/PASS, APOP, STLS, implicit TLS), curl (pop3, pop3 with STLS, pop3s) and raw
//! sockets for what well-behaved clients never send. Mailbox contents are checked afterwards.

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use backend::sandbox::listener::MAX_CONNECTIONS;
use backend::sandbox::pop3::{FaultStage, Pop3Faults};
use common::sandbox::wait_for_session_end;
use common::{Env, Sandbox, WAIT, curl, python_args};
use shared::transcript::Direction;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::time::timeout;
use tokio_rustls::rustls::pki_types::ServerName;

const KARACRIX: &str = "karacrix@sandbox.test";
const OPERATOR: &str = "operator@sandbox.test";

const MSG_PLAIN: &[u8] =
    b"From: operator@sandbox.test\r\nSubject: LIST\r\n\r\nLIST\r\nGET PUMP1\r\n";
const MSG_DOTS: &[u8] =
    b"From: operator@sandbox.test\r\nSubject: dots\r\n\r\n.starts with a dot\r\n..two dots\r\n.\r\nend\r\n";
const MSG_LF: &[u8] = b"From: operator@sandbox.test\nSubject: bare LF\n\nline one\nline two\n";

/// A line-oriented raw client.
struct Raw {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl Raw {
    async fn connect(server: &Sandbox) -> Raw {
        Self::from_stream(server.connect().await)
    }

    /// Connects from another loopback address, as a different client machine would.
    async fn connect_from(local: Ipv4Addr, server: &Sandbox) -> Raw {
        Self::from_stream(server.connect_from(local.into()).await)
    }

    fn from_stream(stream: TcpStream) -> Raw {
        let (read, writer) = stream.into_split();
        Raw {
            reader: BufReader::new(read),
            writer,
        }
    }

    async fn line(&mut self) -> String {
        let mut line = Vec::new();
        let n = timeout(WAIT, self.reader.read_until(b'\n', &mut line))
            .await
            .expect("no reply in time")
            .unwrap();
        assert!(n > 0, "connection closed while a reply was expected");
        String::from_utf8(line).unwrap()
    }

    /// A multi-line body up to its terminating dot, lines unstuffed, CRLF removed.
    async fn body(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let line = self.line().await;
            let line = line
                .strip_suffix("\r\n")
                .expect("CRLF line ends")
                .to_string();
            if line == "." {
                return lines;
            }
            lines.push(line.strip_prefix('.').map_or(line.clone(), String::from));
        }
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).await.unwrap();
    }

    async fn cmd(&mut self, command: &str) -> String {
        self.send(format!("{command}\r\n").as_bytes()).await;
        self.line().await
    }

    /// Logs in with the training password, which must work.
    async fn logged_in(&mut self, user: &str) {
        let reply = self.login(user, &format!("{user}-pass")).await;
        assert!(reply.starts_with("+OK "), "{reply}");
    }

    async fn login(&mut self, user: &str, password: &str) -> String {
        assert!(self.line().await.starts_with("+OK "));
        assert_eq!(self.cmd(&format!("USER {user}")).await, "+OK send PASS\r\n");
        self.cmd(&format!("PASS {password}")).await
    }

    /// Reads to the end of the stream; returns everything read.
    async fn rest(&mut self) -> Vec<u8> {
        let mut rest = Vec::new();
        timeout(WAIT, self.reader.read_to_end(&mut rest))
            .await
            .expect("the server did not close")
            .unwrap();
        rest
    }
}

const POPLIB_SESSION: &str = r#"
import json, poplib, sys
port = int(sys.argv[1])
pop = poplib.POP3("127.0.0.1", port, timeout=15)
out = {"welcome": pop.getwelcome().decode()}
out["user"] = pop.user("karacrix").decode()
out["pass"] = pop.pass_("karacrix-pass").decode()
out["stat"] = list(pop.stat())
out["list"] = [l.decode() for l in pop.list()[1]]
out["uidl"] = [l.decode() for l in pop.uidl()[1]]
out["uidl2"] = pop.uidl(2).decode()
out["top0"] = [l.decode() for l in pop.top(1, 0)[1]]
out["top1"] = [l.decode() for l in pop.top(3, 1)[1]]
out["retr2"] = [l.decode() for l in pop.retr(2)[1]]
out["retr3"] = [l.decode() for l in pop.retr(3)[1]]
out["dele"] = pop.dele(1).decode()
try:
    pop.retr(1)
    out["retr_deleted"] = "no error"
except poplib.error_proto as e:
    out["retr_deleted"] = e.args[0].decode()
out["stat_after"] = list(pop.stat())
out["quit"] = pop.quit().decode()
print(json.dumps(out))
"#;

fn json_field<'a>(json: &'a str, key: &str) -> &'a str {
    // The scripts print flat JSON; find `"key": value` without a JSON dependency.
    let start = json
        .find(&format!("\"{key}\": "))
        .unwrap_or_else(|| panic!("{key} missing in {json}"))
        + key.len()
        + 4;
    let rest = &json[start..];
    let end = if rest.starts_with('[') {
        rest.find(']').unwrap() + 1
    } else {
        rest[1..].find('"').unwrap() + 2
    };
    &rest[..end]
}

#[tokio::test]
async fn poplib_reads_lists_tops_and_deletes_with_user_pass() {
    let server = Sandbox::builder().pop3().await;
    let u1 = server.deliver(KARACRIX, MSG_PLAIN);
    let u2 = server.deliver(KARACRIX, MSG_DOTS);
    let u3 = server.deliver(KARACRIX, MSG_LF);
    server.deliver(OPERATOR, b"Subject: not yours\r\n\r\nx\r\n");
    let total = MSG_PLAIN.len() + MSG_DOTS.len() + MSG_LF.len();

    let out = python_args(POPLIB_SESSION, &[&server.port()], &Env::new()).await;
    assert!(json_field(&out, "welcome").contains("<"), "{out}");
    assert_eq!(
        json_field(&out, "pass"),
        format!("\"+OK maildrop has 3 messages ({total} octets)\"")
    );
    assert_eq!(json_field(&out, "stat"), format!("[3, {total}]"));
    assert_eq!(
        json_field(&out, "list"),
        format!(
            "[\"1 {}\", \"2 {}\", \"3 {}\"]",
            MSG_PLAIN.len(),
            MSG_DOTS.len(),
            MSG_LF.len()
        )
    );
    assert_eq!(
        json_field(&out, "uidl"),
        format!("[\"1 {u1}\", \"2 {u2}\", \"3 {u3}\"]")
    );
    assert_eq!(json_field(&out, "uidl2"), format!("\"+OK 2 {u2}\""));
    assert_eq!(
        json_field(&out, "top0"),
        r#"["From: operator@sandbox.test", "Subject: LIST", ""]"#
    );
    assert_eq!(
        json_field(&out, "top1"),
        r#"["From: operator@sandbox.test", "Subject: bare LF", "", "line one"]"#
    );
    // poplib undoes the dot-stuffing: the client sees the lines as delivered.
    assert_eq!(
        json_field(&out, "retr2"),
        r#"["From: operator@sandbox.test", "Subject: dots", "", ".starts with a dot", "..two dots", ".", "end"]"#
    );
    assert_eq!(
        json_field(&out, "retr3"),
        r#"["From: operator@sandbox.test", "Subject: bare LF", "", "line one", "line two"]"#
    );
    assert_eq!(json_field(&out, "dele"), "\"+OK message 1 deleted\"");
    assert_eq!(json_field(&out, "retr_deleted"), "\"-ERR no such message\"");
    assert_eq!(
        json_field(&out, "stat_after"),
        format!("[2, {}]", MSG_DOTS.len() + MSG_LF.len())
    );
    assert_eq!(
        json_field(&out, "quit"),
        "\"+OK sandbox.test POP3 server signing off (1 messages deleted)\""
    );
    assert_eq!(server.uids(KARACRIX), vec![u2, u3]);
    assert_eq!(server.uids(OPERATOR).len(), 1);
    // The login opened the PopBeforeSmtp window for this address.
    assert!(server.pop.allows(
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        Duration::from_secs(60),
        std::time::Instant::now()
    ));
    server.stop().await;
}

#[tokio::test]
async fn poplib_apop_works_and_wrong_secrets_get_auth_codes() {
    let server = Sandbox::builder().pop3().await;
    server.deliver(OPERATOR, MSG_PLAIN);
    let script = r#"
import poplib, sys
port = int(sys.argv[1])
def attempt(login):
    pop = poplib.POP3("127.0.0.1", port, timeout=15)
    try:
        return login(pop)
    except poplib.error_proto as e:
        return e.args[0].decode()
    finally:
        pop.close()
print(attempt(lambda p: p.apop("operator", "wrong-pass").decode()))
print(attempt(lambda p: (p.user("operator"), p.pass_("wrong-pass"))[1].decode()))
print(attempt(lambda p: (p.user("ghost"), p.pass_("operator-pass"))[1].decode()))
def ok(p):
    r = p.apop("operator", "operator-pass").decode()
    count = p.stat()[0]
    p.quit()
    return r + " / " + str(count)
print(attempt(ok))
"#;
    let out = python_args(script, &[&server.port()], &Env::new()).await;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        vec![
            "-ERR [AUTH] invalid user name or password",
            "-ERR [AUTH] invalid user name or password",
            "-ERR [AUTH] invalid user name or password",
            &format!(
                "+OK maildrop has 1 messages ({} octets) / 1",
                MSG_PLAIN.len()
            ),
        ]
    );
    assert_eq!(server.uids(OPERATOR).len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn poplib_upgrades_with_stls_and_speaks_pop3_ssl() {
    let plain = Sandbox::builder().tls().pop3().await;
    plain.deliver(KARACRIX, MSG_DOTS);
    let script = r#"
import poplib, ssl, sys
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
pop = poplib.POP3("127.0.0.1", port, timeout=15)
print("STLS" in pop.capa())
print(pop.stls(context=ctx).decode())
print("STLS" in pop.capa())
print(pop.sock.version())
pop.user("karacrix")
pop.pass_("karacrix-pass")
print(pop.retr(1)[1][3].decode())
pop.dele(1)
print(pop.quit().decode())
"#;
    let out = python_args(script, &[&plain.port(), &plain.ca_file()], &Env::new()).await;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "True");
    assert_eq!(lines[1], "+OK begin TLS negotiation");
    assert_eq!(lines[2], "False", "STLS is not offered once TLS is on");
    assert!(lines[3].starts_with("TLSv1."), "{out}");
    assert_eq!(lines[4], ".starts with a dot");
    assert!(lines[5].starts_with("+OK "), "{out}");
    assert!(plain.uids(KARACRIX).is_empty());
    plain.stop().await;

    let implicit = Sandbox::builder().implicit_tls().pop3().await;
    implicit.deliver(KARACRIX, MSG_PLAIN);
    let script = r#"
import poplib, ssl, sys
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
pop = poplib.POP3_SSL("127.0.0.1", port, context=ctx, timeout=15)
print("STLS" in pop.capa())
pop.user("karacrix@sandbox.test")
pop.pass_("karacrix-pass")
print(pop.stat()[0])
print(pop.quit().decode())
"#;
    let out = python_args(
        script,
        &[&implicit.port(), &implicit.ca_file()],
        &Env::new(),
    )
    .await;
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        vec!["False", "1", "+OK sandbox.test POP3 server signing off"]
    );
    // A client that does not trust the CA is refused by its own TLS stack.
    let untrusting = r#"
import poplib, ssl, sys
try:
    poplib.POP3_SSL("127.0.0.1", int(sys.argv[1]), context=ssl.create_default_context(), timeout=15)
    print("connected")
except ssl.SSLCertVerificationError:
    print("rejected")
"#;
    assert_eq!(
        python_args(untrusting, &[&implicit.port()], &Env::new())
            .await
            .trim(),
        "rejected"
    );
    assert_eq!(implicit.uids(KARACRIX).len(), 1);
    implicit.stop().await;
}

#[tokio::test]
async fn commands_pipelined_behind_stls_are_discarded_not_obeyed() {
    let server = Sandbox::builder().tls().pop3().await;
    let mut stream = server.connect().await;
    // Byte by byte, so nothing after the greeting is consumed by the test.
    let mut greeting = Vec::new();
    while greeting.last() != Some(&b'\n') {
        greeting.push(timeout(WAIT, stream.read_u8()).await.unwrap().unwrap());
    }
    assert!(greeting.starts_with(b"+OK "));
    // A man in the middle appends a command to the client's STLS in clear text.
    stream.write_all(b"STLS\r\nCAPA\r\n").await.unwrap();
    let mut reply = [0u8; 27];
    timeout(WAIT, stream.read_exact(&mut reply))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&reply, b"+OK begin TLS negotiation\r\n");

    let tls = server
        .tls_connector()
        .connect(ServerName::from(IpAddr::V4(Ipv4Addr::LOCALHOST)), stream)
        .await
        .expect("TLS handshake after STLS");
    let mut tls = BufReader::new(tls);
    tls.get_mut().write_all(b"NOOP\r\nQUIT\r\n").await.unwrap();
    let mut after = String::new();
    timeout(WAIT, tls.read_to_string(&mut after))
        .await
        .unwrap()
        .unwrap();
    // No CAPA listing: the first reply over TLS answers the first command sent over TLS.
    assert_eq!(
        after,
        "-ERR command not valid in this state\r\n+OK sandbox.test POP3 server signing off\r\n"
    );
    server.stop().await;
}

#[tokio::test]
async fn curl_retrieves_and_lists_in_clear_with_stls_and_over_pop3s() {
    let plain = Sandbox::builder().tls().pop3().await;
    plain.deliver(KARACRIX, MSG_PLAIN);
    plain.deliver(KARACRIX, MSG_DOTS);
    let base = format!("pop3://127.0.0.1:{}", plain.port());
    let curl = |extra: Vec<String>| async move {
        let mut args = vec!["-u".to_string(), "karacrix:karacrix-pass".into()];
        args.extend(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        curl(&args).await.success()
    };
    let message = curl(vec![format!("{base}/2")]).await;
    assert_eq!(message.as_bytes(), MSG_DOTS);
    let listing = curl(vec![format!("{base}/")]).await;
    assert_eq!(
        listing,
        format!("1 {}\r\n2 {}\r\n", MSG_PLAIN.len(), MSG_DOTS.len())
    );
    let over_stls = curl(vec![
        "--ssl-reqd".into(),
        "--cacert".into(),
        plain.ca_file(),
        format!("{base}/1"),
    ])
    .await;
    assert_eq!(over_stls.as_bytes(), MSG_PLAIN);
    assert_eq!(plain.uids(KARACRIX).len(), 2, "retrieving deletes nothing");
    plain.stop().await;

    let implicit = Sandbox::builder().implicit_tls().pop3().await;
    implicit.deliver(KARACRIX, MSG_LF);
    let message = curl(vec![
        "--cacert".into(),
        implicit.ca_file(),
        format!("pop3s://127.0.0.1:{}/1", implicit.port()),
    ])
    .await;
    // The bare LFs went out as CRLF.
    assert_eq!(
        message,
        String::from_utf8_lossy(MSG_LF).replace('\n', "\r\n")
    );
    implicit.stop().await;
}

#[tokio::test]
async fn an_over_long_line_and_nul_bytes_are_refused_and_the_session_goes_on() {
    let server = Sandbox::builder().pop3().await;
    let mut raw = Raw::connect(&server).await;
    assert!(
        raw.line()
            .await
            .starts_with("+OK sandbox.test POP3 server ready <")
    );
    let mut long = vec![b'A'; 10_000];
    long.extend_from_slice(b"\r\n");
    raw.send(&long).await;
    assert_eq!(
        raw.line().await,
        "-ERR line too long (limit 512 octets)\r\n"
    );
    raw.send(b"US\0ER karacrix\r\n").await;
    assert_eq!(raw.line().await, "-ERR NUL octets are not allowed\r\n");
    raw.send(b"\0\0\0\r\n").await;
    assert_eq!(raw.line().await, "-ERR NUL octets are not allowed\r\n");
    // A long line split over many writes is refused once, at its end.
    for _ in 0..10 {
        raw.send(&[b'B'; 1000]).await;
    }
    raw.send(b"\r\nCAPA\r\n").await;
    assert_eq!(
        raw.line().await,
        "-ERR line too long (limit 512 octets)\r\n"
    );
    assert_eq!(raw.line().await, "+OK capability list follows\r\n");
    let capabilities = raw.body().await;
    assert!(capabilities.contains(&"PIPELINING".to_string()));
    assert!(
        !capabilities.contains(&"STLS".to_string()),
        "no TLS configured"
    );
    assert_eq!(raw.cmd("STLS").await, "-ERR STLS not available\r\n");
    assert_eq!(raw.cmd("USER karacrix").await, "+OK send PASS\r\n");
    assert_eq!(
        raw.cmd("PASS karacrix-pass").await,
        "+OK maildrop has 0 messages (0 octets)\r\n"
    );
    assert_eq!(
        raw.cmd("QUIT").await,
        "+OK sandbox.test POP3 server signing off\r\n"
    );
    assert!(raw.rest().await.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn commands_out_of_state_are_refused() {
    let server = Sandbox::builder().pop3().await;
    let uid = server.deliver(KARACRIX, MSG_PLAIN);
    let mut raw = Raw::connect(&server).await;
    raw.line().await;
    for command in [
        "STAT", "LIST", "RETR 1", "DELE 1", "NOOP", "RSET", "TOP 1 0", "UIDL",
    ] {
        assert_eq!(
            raw.cmd(command).await,
            "-ERR command not valid in this state\r\n",
            "{command}"
        );
    }
    assert_eq!(raw.cmd("PASS karacrix-pass").await, "-ERR USER first\r\n");
    assert_eq!(raw.cmd("USER karacrix").await, "+OK send PASS\r\n");
    assert!(raw.cmd("PASS karacrix-pass").await.starts_with("+OK "));
    for command in ["USER karacrix", "PASS x", "STLS"] {
        assert_eq!(
            raw.cmd(command).await,
            "-ERR command not valid in this state\r\n",
            "{command}"
        );
    }
    assert_eq!(raw.cmd("RETR 2").await, "-ERR no such message\r\n");
    assert_eq!(raw.cmd("RETR 0").await, "-ERR no such message\r\n");
    assert_eq!(
        raw.cmd("RETR x").await,
        "-ERR syntax error in arguments\r\n"
    );
    assert_eq!(raw.cmd("XTND").await, "-ERR unknown command\r\n");
    assert_eq!(raw.cmd("DELE 1").await, "+OK message 1 deleted\r\n");
    assert_eq!(
        raw.cmd("RSET").await,
        format!(
            "+OK maildrop has 1 messages ({} octets)\r\n",
            MSG_PLAIN.len()
        )
    );
    assert_eq!(
        raw.cmd("QUIT").await,
        "+OK sandbox.test POP3 server signing off\r\n"
    );
    assert_eq!(server.uids(KARACRIX), vec![uid]);
    server.stop().await;
}

#[tokio::test]
async fn a_client_vanishing_mid_retr_leaves_the_mailbox_intact() {
    let server = Sandbox::builder().pop3().await;
    let mut log = server.dialogue.subscribe();
    let mut big = b"Subject: big\r\n\r\n".to_vec();
    for i in 0..40_000 {
        big.extend_from_slice(format!(".line {i:06} of a long message body\r\n").as_bytes());
    }
    let before = vec![
        server.deliver(KARACRIX, &big),
        server.deliver(KARACRIX, MSG_PLAIN),
    ];
    let mut raw = Raw::connect(&server).await;
    raw.logged_in("karacrix").await;
    assert_eq!(raw.cmd("DELE 2").await, "+OK message 2 deleted\r\n");
    assert_eq!(
        raw.cmd("RETR 1").await,
        format!("+OK {} octets\r\n", big.len())
    );
    assert_eq!(raw.line().await, "Subject: big\r\n");
    drop(raw);
    wait_for_session_end(&mut log, KARACRIX).await;
    assert_eq!(server.uids(KARACRIX), before);

    // The mailbox is free again and whole.
    let mut raw = Raw::connect(&server).await;
    assert_eq!(
        raw.login("karacrix", "karacrix-pass").await,
        format!(
            "+OK maildrop has 2 messages ({} octets)\r\n",
            big.len() + MSG_PLAIN.len()
        )
    );
    assert_eq!(
        raw.cmd("RETR 1").await,
        format!("+OK {} octets\r\n", big.len())
    );
    let body = raw.body().await;
    assert_eq!(body.len(), 40_002);
    assert_eq!(body[2], ".line 000000 of a long message body");
    server.stop().await;
}

#[tokio::test]
async fn a_pipelined_burst_in_one_write_is_answered_in_order() {
    let server = Sandbox::builder().pop3().await;
    let u1 = server.deliver(KARACRIX, MSG_PLAIN);
    let u2 = server.deliver(KARACRIX, MSG_DOTS);
    let mut raw = Raw::connect(&server).await;
    raw.line().await;
    raw.send(
        b"CAPA\r\nUSER karacrix\r\nPASS karacrix-pass\r\nSTAT\r\nLIST\r\nUIDL 2\r\nTOP 2 1\r\n\
          RETR 1\r\nDELE 1\r\nNOOP\r\nQUIT\r\nNOOP\r\n",
    )
    .await;
    assert_eq!(raw.line().await, "+OK capability list follows\r\n");
    raw.body().await;
    assert_eq!(raw.line().await, "+OK send PASS\r\n");
    let total = MSG_PLAIN.len() + MSG_DOTS.len();
    assert_eq!(
        raw.line().await,
        format!("+OK maildrop has 2 messages ({total} octets)\r\n")
    );
    assert_eq!(raw.line().await, format!("+OK 2 {total}\r\n"));
    assert_eq!(
        raw.line().await,
        format!("+OK 2 messages ({total} octets)\r\n")
    );
    assert_eq!(
        raw.body().await,
        vec![
            format!("1 {}", MSG_PLAIN.len()),
            format!("2 {}", MSG_DOTS.len())
        ]
    );
    assert_eq!(raw.line().await, format!("+OK 2 {u2}\r\n"));
    assert_eq!(raw.line().await, "+OK top of message follows\r\n");
    assert_eq!(
        raw.body().await,
        vec![
            "From: operator@sandbox.test",
            "Subject: dots",
            "",
            ".starts with a dot"
        ]
    );
    assert_eq!(
        raw.line().await,
        format!("+OK {} octets\r\n", MSG_PLAIN.len())
    );
    assert_eq!(
        raw.body().await.join("\r\n") + "\r\n",
        String::from_utf8_lossy(MSG_PLAIN)
    );
    assert_eq!(raw.line().await, "+OK message 1 deleted\r\n");
    assert_eq!(raw.line().await, "+OK\r\n");
    assert_eq!(
        raw.line().await,
        "+OK sandbox.test POP3 server signing off (1 messages deleted)\r\n"
    );
    // The NOOP after QUIT is never answered: the server has closed.
    assert!(raw.rest().await.is_empty());
    assert_eq!(server.uids(KARACRIX), vec![u2]);
    assert!(!server.uids(KARACRIX).contains(&u1));
    server.stop().await;
}

/// poplib from the loopback address in `sys.argv[2]`, as another machine would connect.
const POP3_FROM: &str = "import poplib, socket, sys\n\
class From(poplib.POP3):\n    \
    def _create_socket(self, timeout):\n        \
        return socket.create_connection((self.host, self.port), timeout, source_address=(sys.argv[2], 0))\n";

#[tokio::test]
async fn a_flood_of_failed_logins_locks_out_that_address_and_that_account() {
    let server = Sandbox::builder().pop3().await;
    server.deliver(KARACRIX, MSG_PLAIN);
    let attacker = Ipv4Addr::new(127, 0, 0, 2);
    let mut raw = Raw::connect_from(attacker, &server).await;
    raw.line().await;
    for _ in 0..4 {
        assert_eq!(raw.cmd("USER karacrix").await, "+OK send PASS\r\n");
        assert_eq!(
            raw.cmd("PASS guess").await,
            "-ERR [AUTH] invalid user name or password\r\n"
        );
    }
    // Logging in to an account of one's own from the same address does not wipe the count
    // (poplib, a real client, does it here).
    let port = server.port();
    let own = python_args(
        &format!(
            "{POP3_FROM}pop = From('127.0.0.1', int(sys.argv[1]), timeout=15)\n\
             pop.user('operator'); print(pop.pass_('operator-pass').decode()); pop.quit()\n"
        ),
        &[&port, "127.0.0.2"],
        &Env::new(),
    )
    .await;
    assert!(own.starts_with("+OK maildrop"), "{own}");
    assert_eq!(raw.cmd("USER karacrix").await, "+OK send PASS\r\n");
    assert_eq!(
        raw.cmd("PASS guess").await,
        "-ERR [AUTH] invalid user name or password\r\n"
    );
    let locked = "-ERR [AUTH] too many failed logins from your address or for this account, try again later\r\n";
    assert_eq!(raw.cmd("USER karacrix").await, "+OK send PASS\r\n");
    assert_eq!(raw.cmd("PASS karacrix-pass").await, locked);
    // A new connection from the same address is served but still locked out, whatever account.
    let mut again = Raw::connect_from(attacker, &server).await;
    assert_eq!(again.login("operator", "operator-pass").await, locked);
    assert_eq!(again.cmd("CAPA").await, "+OK capability list follows\r\n");
    again.body().await;
    // The account is locked from every address: poplib from elsewhere is refused too.
    let refused = python_args(
        &format!(
            "{POP3_FROM}pop = From('127.0.0.1', int(sys.argv[1]), timeout=15)\n\
             pop.user('karacrix')\n\
             try:\n    pop.pass_('karacrix-pass'); print('served')\n\
             except poplib.error_proto as e:\n    print(e.args[0].decode())\n"
        ),
        &[&port, "127.0.0.3"],
        &Env::new(),
    )
    .await;
    assert_eq!(refused, locked.replace("\r\n", "\n"));
    // Other accounts from other addresses are served as usual.
    let mut other = Raw::connect_from(Ipv4Addr::new(127, 0, 0, 3), &server).await;
    assert_eq!(
        other.login("operator", "operator-pass").await,
        "+OK maildrop has 0 messages (0 octets)\r\n"
    );
    assert_eq!(
        other.cmd("QUIT").await,
        "+OK sandbox.test POP3 server signing off\r\n"
    );
    assert_eq!(server.uids(KARACRIX).len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn a_mailbox_has_one_session_at_a_time() {
    let server = Sandbox::builder().pop3().await;
    let mut log = server.dialogue.subscribe();
    let mut first = Raw::connect(&server).await;
    first.logged_in("operator").await;
    let mut second = Raw::connect(&server).await;
    assert_eq!(
        second.login("operator@sandbox.test", "operator-pass").await,
        "-ERR [IN-USE] mailbox is in use by another session\r\n"
    );
    assert_eq!(
        first.cmd("QUIT").await,
        "+OK sandbox.test POP3 server signing off\r\n"
    );
    first.rest().await;
    wait_for_session_end(&mut log, OPERATOR).await;
    assert_eq!(second.cmd("USER operator").await, "+OK send PASS\r\n");
    assert!(
        second
            .cmd("PASS operator-pass")
            .await
            .starts_with("+OK maildrop has 0")
    );
    server.stop().await;
}

#[tokio::test]
async fn faults_refuse_err_and_drop_mid_transfer() {
    let server = Sandbox::builder().pop3().await;
    let mut log = server.dialogue.subscribe();
    let uids = vec![
        server.deliver(KARACRIX, MSG_DOTS),
        server.deliver(KARACRIX, MSG_PLAIN),
    ];
    let switch = server.pop3_faults().clone();

    switch.set(Pop3Faults {
        down: true,
        ..Pop3Faults::default()
    });
    let mut raw = Raw::connect(&server).await;
    assert!(
        raw.rest().await.is_empty(),
        "down: closed without a greeting"
    );

    switch.set(Pop3Faults {
        error_at: Some(FaultStage::Greeting),
        ..Pop3Faults::default()
    });
    let mut raw = Raw::connect(&server).await;
    assert_eq!(
        raw.rest().await,
        b"-ERR [SYS/TEMP] service temporarily unavailable\r\n"
    );

    switch.set(Pop3Faults {
        error_at: Some(FaultStage::Auth),
        ..Pop3Faults::default()
    });
    let mut raw = Raw::connect(&server).await;
    assert_eq!(
        raw.login("karacrix", "karacrix-pass").await,
        "-ERR [SYS/TEMP] service temporarily unavailable\r\n"
    );

    switch.set(Pop3Faults {
        error_at: Some(FaultStage::Retr),
        slow: Some(Duration::from_millis(1)),
        ..Pop3Faults::default()
    });
    let mut raw = Raw::connect(&server).await;
    raw.logged_in("karacrix").await;
    assert_eq!(
        raw.cmd("RETR 1").await,
        "-ERR [SYS/TEMP] service temporarily unavailable\r\n"
    );
    assert_eq!(
        raw.cmd("LIST 1").await,
        format!("+OK 1 {}\r\n", MSG_DOTS.len())
    );
    drop(raw);
    wait_for_session_end(&mut log, KARACRIX).await;

    switch.set(Pop3Faults {
        drop_retr_after: Some(30),
        ..Pop3Faults::default()
    });
    let mut raw = Raw::connect(&server).await;
    raw.logged_in("karacrix").await;
    assert_eq!(raw.cmd("DELE 2").await, "+OK message 2 deleted\r\n");
    assert_eq!(
        raw.cmd("RETR 1").await,
        format!("+OK {} octets\r\n", MSG_DOTS.len())
    );
    assert_eq!(raw.rest().await, &MSG_DOTS[..30]);
    wait_for_session_end(&mut log, KARACRIX).await;
    assert_eq!(
        server.uids(KARACRIX),
        uids,
        "a dropped session deletes nothing"
    );

    switch.set(Pop3Faults::default());
    let mut raw = Raw::connect(&server).await;
    raw.logged_in("karacrix").await;
    server.stop().await;
}

#[tokio::test]
async fn an_idle_client_is_logged_out_without_deleting() {
    let server = Sandbox::builder()
        .idle_timeout(Duration::from_millis(300))
        .pop3()
        .await;
    let mut log = server.dialogue.subscribe();
    let uid = server.deliver(KARACRIX, MSG_PLAIN);
    let mut raw = Raw::connect(&server).await;
    raw.logged_in("karacrix").await;
    assert_eq!(raw.cmd("DELE 1").await, "+OK message 1 deleted\r\n");
    // Half a command does not keep the session alive.
    raw.send(b"NO").await;
    assert_eq!(raw.rest().await, b"-ERR idle for too long, closing\r\n");
    wait_for_session_end(&mut log, KARACRIX).await;
    assert_eq!(server.uids(KARACRIX), vec![uid]);
    server.stop().await;
}

#[tokio::test]
async fn a_client_that_never_reads_its_replies_is_cut_off() {
    let server = Sandbox::builder()
        .idle_timeout(Duration::from_millis(500))
        .pop3()
        .await;
    let mut log = server.dialogue.subscribe();
    let line = [&[b'x'; 998][..], b"\r\n"].concat();
    let message = [&b"Subject: big\r\n\r\n"[..], &line.repeat(1024)].concat();
    let uid = server.deliver(KARACRIX, &message);
    let mut raw = Raw::connect(&server).await;
    raw.logged_in("karacrix").await;
    // About 64 MB of replies, far more than the socket buffers between the two ends hold.
    raw.send(&b"RETR 1\r\n".repeat(64)).await;
    wait_for_session_end(&mut log, KARACRIX).await;
    assert_eq!(server.uids(KARACRIX), vec![uid]);
    drop(raw);
    server.stop().await;
}

#[tokio::test]
async fn the_connection_over_the_limit_is_told_so_and_closed() {
    let server = Sandbox::builder().pop3().await;
    let mut served = Vec::new();
    for _ in 0..MAX_CONNECTIONS {
        let mut raw = Raw::connect(&server).await;
        assert!(raw.line().await.starts_with("+OK "));
        served.push(raw);
    }
    let mut extra = Raw::connect(&server).await;
    assert_eq!(
        extra.line().await,
        "-ERR [SYS/TEMP] too many connections, try again later\r\n"
    );
    assert!(extra.rest().await.is_empty(), "closed after the reply");
    // The connections served go on.
    assert!(served[0].cmd("CAPA").await.starts_with("+OK"));
    server.stop().await;
}

#[tokio::test]
async fn the_transcript_shows_commands_and_replies_with_secrets_masked() {
    let server = Sandbox::builder().pop3().await;
    let mut lines = server.dialogue.subscribe();
    let script = r#"
import poplib, sys
pop = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=15)
pop.apop("karacrix", "karacrix-pass")
pop.quit()
pop = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=15)
pop.user("operator")
pop.pass_("operator-pass")
pop.quit()
"#;
    python_args(script, &[&server.port()], &Env::new()).await;
    // The client may be gone before the server has published its last notes: wait for them.
    let mut seen = Vec::new();
    let mut sessions_closed = 0;
    while sessions_closed < 2 {
        let line = timeout(WAIT, lines.recv())
            .await
            .expect("transcript incomplete")
            .unwrap();
        if line.direction == Direction::Note && line.text == "closed after QUIT" {
            sessions_closed += 1;
        }
        seen.push((line.direction, line.text));
    }
    let texts: Vec<&str> = seen.iter().map(|(_, t)| t.as_str()).collect();
    assert!(texts.iter().all(|t| !t.contains("-pass")), "{texts:?}");
    assert!(texts.contains(&"APOP karacrix ****"), "{texts:?}");
    assert!(texts.contains(&"PASS ****"), "{texts:?}");
    assert!(texts.contains(&"USER operator"), "{texts:?}");
    assert!(
        seen.iter().any(|(d, t)| *d == Direction::ToClient
            && t.starts_with("+OK sandbox.test POP3 server ready <"))
    );
    assert!(
        seen.iter()
            .any(|(d, t)| *d == Direction::Note && t == "closed after QUIT")
    );
    server.stop().await;
}

/// What a web page can make a browser do: POST to the POP3 port with mail commands as the body
/// (curl stands in for the browser; `--http0.9` lets it show what the server answered).
#[tokio::test]
async fn a_browser_post_to_the_pop3_port_is_cut_off_at_its_request_line() {
    let server = Sandbox::builder().pop3().await;
    let uid = server.deliver(KARACRIX, MSG_PLAIN);
    let mut log = server.dialogue.subscribe();
    let ran = curl(&[
        "--http0.9",
        "--data-binary",
        "USER karacrix\r\nPASS karacrix-pass\r\nDELE 1\r\nQUIT\r\n",
        &format!("http://127.0.0.1:{}/", server.port()),
    ])
    .await;
    assert!(
        !ran.stdout.contains("maildrop"),
        "the body was obeyed: {}",
        ran.stdout
    );
    // The server's last word, and the end of the session, are in its log.
    let closed = timeout(WAIT, async {
        let mut seen = Vec::new();
        loop {
            let line = log.recv().await.unwrap();
            seen.push(line.text.clone());
            if line.text.starts_with("closed") || line.text.starts_with("connection ended") {
                return seen;
            }
        }
    })
    .await
    .expect("the session did not end");
    assert!(
        closed.contains(&"-ERR this is a POP3 server, not a web server; goodbye".to_string()),
        "{closed:#?}"
    );
    assert!(!closed.iter().any(|l| l.starts_with("USER")), "{closed:#?}");
    assert_eq!(server.uids(KARACRIX), vec![uid]);
    server.stop().await;
}

#[tokio::test]
async fn twenty_errors_close_the_connection() {
    let server = Sandbox::builder().pop3().await;
    let mut raw = Raw::connect(&server).await;
    raw.line().await;
    for _ in 1..20 {
        assert_eq!(raw.cmd("XYZZY").await, "-ERR unknown command\r\n");
    }
    assert_eq!(raw.cmd("XYZZY").await, "-ERR too many errors, closing\r\n");
    assert!(raw.rest().await.is_empty());
    server.stop().await;
}
