//! The sandbox ISP built for a test: [`Sandbox::builder`] sets what a test varies (TLS, implicit
//! TLS, the SMTP policy and faults, the idle timeout, the ISP's policies) and starts either one
//! server (`smtp()`, `pop3()`) or the whole provider with all its listeners (`isp()`). Every port
//! is picked by the system and every server has a data directory of its own, removed with it.
//! The certificate is the one the back end makes for itself ([`SandboxTls`]), so the tests trust
//! exactly what users trust.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use backend::engine::commands::CommandLayer;
use backend::engine::{Engine, EngineOptions};
use backend::mail::Dialogue;
use backend::sandbox::Listen;
use backend::sandbox::pop3::{self, FaultSwitch, Pop3Context};
use backend::sandbox::smtp::{self, SmtpContext, SmtpFaults, SmtpPolicy, SmtpSettings};
use backend::sandbox::tls::SandboxTls;
use backend::sandbox::{Accounts, MailStore, PopBeforeSmtp, SandboxProvider};
use backend::store::Store;
use shared::sandbox::{Op25b, SandboxPolicy};
use shared::transcript::{DialogueLine, Direction, Party};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;
use tokio::time::timeout;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_util::sync::CancellationToken;

use super::{Env, WAIT};

/// What a test sets before the sandbox starts; everything else is the back end's default.
#[derive(Default)]
pub struct Builder {
    tls: bool,
    implicit_tls: bool,
    idle_timeout: Option<Duration>,
    smtp: SmtpSettings,
    policy: SandboxPolicy,
}

impl Builder {
    /// A certificate for STARTTLS / STLS (without it a server offers no TLS at all).
    pub fn tls(mut self) -> Self {
        self.tls = true;
        self
    }

    /// TLS from the first octet, as on the smtps and pop3s ports.
    pub fn implicit_tls(mut self) -> Self {
        self.tls = true;
        self.implicit_tls = true;
        self
    }

    /// Closes a connection that stays silent this long.
    pub fn idle_timeout(mut self, idle: Duration) -> Self {
        self.idle_timeout = Some(idle);
        self
    }

    /// What the SMTP server demands of its clients.
    pub fn smtp_policy(mut self, policy: SmtpPolicy) -> Self {
        self.smtp.policy = policy;
        self
    }

    /// The faults the SMTP server simulates from the start.
    pub fn smtp_faults(mut self, faults: SmtpFaults) -> Self {
        self.smtp.faults = faults;
        self
    }

    /// The trainer's policies for the whole ISP ([`Builder::isp`]).
    pub fn policy(mut self, policy: SandboxPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Only the ISP's OP25B policy changed from the default (port 25 blocked by timeout).
    pub fn op25b(mut self, op25b: Op25b) -> Self {
        self.policy.op25b = op25b;
        self
    }

    /// One SMTP server.
    pub async fn smtp(self) -> Sandbox {
        let parts = Parts::new(self.tls);
        let (settings, receiver) = watch::channel(self.smtp);
        let mut ctx = SmtpContext::new(
            parts.store.clone(),
            parts.pop.clone(),
            parts.dialogue.clone(),
            receiver,
        );
        ctx.tls = parts.tls.as_ref().map(SandboxTls::acceptor);
        ctx.implicit_tls = self.implicit_tls;
        if let Some(idle) = self.idle_timeout {
            ctx.idle_timeout = idle;
        }
        let shutdown = ctx.shutdown.clone();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(smtp::serve(listener, ctx));
        parts.into_sandbox(addr, shutdown, task, Some(settings), None)
    }

    /// One POP3 server with the training accounts.
    pub async fn pop3(self) -> Sandbox {
        let parts = Parts::new(self.tls);
        let mut ctx = Pop3Context::new(
            Accounts::training(),
            parts.store.clone(),
            parts.dialogue.clone(),
            parts.pop.clone(),
        );
        ctx.tls = parts.tls.as_ref().map(SandboxTls::acceptor);
        ctx.implicit_tls = self.implicit_tls;
        if let Some(idle) = self.idle_timeout {
            ctx.idle_timeout = idle;
        }
        let shutdown = ctx.shutdown.clone();
        let faults = ctx.faults.clone();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            pop3::serve(listener, ctx)
                .await
                .expect("the POP3 listener failed");
        });
        parts.into_sandbox(addr, shutdown, task, None, Some(faults))
    }

    /// The whole provider as the back end runs it: every listener on a free port, the policies
    /// set, mail and policies in a database of its own.
    pub async fn isp(self) -> Isp {
        let dir = tempfile::tempdir().unwrap();
        let cancel = CancellationToken::new();
        let store = Store::open(dir.path()).unwrap();
        let provider = SandboxProvider::start(
            &Listen::ephemeral(),
            &store,
            &dir.path().join("tls"),
            cancel.clone(),
            &tokio_util::task::TaskTracker::new(),
        )
        .await
        .unwrap();
        provider.set_policy(self.policy).unwrap();
        Isp {
            provider,
            store,
            cancel,
            dir,
        }
    }
}

/// What every single server is made of.
struct Parts {
    dir: tempfile::TempDir,
    store: MailStore,
    pop: PopBeforeSmtp,
    dialogue: Dialogue,
    tls: Option<SandboxTls>,
}

impl Parts {
    fn new(tls: bool) -> Parts {
        let dir = tempfile::tempdir().unwrap();
        Parts {
            store: MailStore::open(&dir.path().join("mail.redb")).unwrap(),
            pop: PopBeforeSmtp::default(),
            dialogue: Dialogue::new(Party::Sandbox),
            tls: tls.then(|| SandboxTls::load_or_create(&dir.path().join("tls")).unwrap()),
            dir,
        }
    }

    fn into_sandbox(
        self,
        addr: SocketAddr,
        shutdown: CancellationToken,
        task: JoinHandle<()>,
        smtp: Option<watch::Sender<SmtpSettings>>,
        pop3_faults: Option<FaultSwitch>,
    ) -> Sandbox {
        let ca_file = self.tls.as_ref().map(|tls| {
            let path = self.dir.path().join("ca.pem");
            std::fs::write(&path, tls.ca_pem()).unwrap();
            path.display().to_string()
        });
        Sandbox {
            addr,
            store: self.store,
            pop: self.pop,
            dialogue: self.dialogue,
            dir: self.dir,
            ca: self.tls.map(|tls| tls.ca_pem().to_string()).zip(ca_file),
            smtp,
            pop3_faults,
            shutdown,
            task: Some(task),
        }
    }
}

/// One sandbox server on a free loopback port, and what a test needs to look inside it.
pub struct Sandbox {
    pub addr: SocketAddr,
    /// The mailboxes.
    pub store: MailStore,
    /// Recent POP3 logins, as the SMTP side sees them.
    pub pop: PopBeforeSmtp,
    /// The published (masked) dialogue.
    pub dialogue: Dialogue,
    /// The data directory, for files a client sends.
    pub dir: tempfile::TempDir,
    /// The CA's PEM and the file it is written to, when the server has a certificate.
    ca: Option<(String, String)>,
    smtp: Option<watch::Sender<SmtpSettings>>,
    pop3_faults: Option<FaultSwitch>,
    shutdown: CancellationToken,
    task: Option<JoinHandle<()>>,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Sandbox {
    pub fn builder() -> Builder {
        Builder::default()
    }

    pub fn port(&self) -> String {
        self.addr.port().to_string()
    }

    /// The file with the CA certificate clients trust.
    pub fn ca_file(&self) -> String {
        self.ca.as_ref().expect("a sandbox with TLS").1.clone()
    }

    pub fn ca_pem(&self) -> &str {
        &self.ca.as_ref().expect("a sandbox with TLS").0
    }

    /// `PORT`, and `CA_FILE` when the server has a certificate, for a script.
    pub fn env(&self) -> Env {
        let mut env = Env::from([("PORT".to_string(), self.port())]);
        if let Some((_, file)) = &self.ca {
            env.insert("CA_FILE".into(), file.clone());
        }
        env
    }

    /// A TLS client that trusts the sandbox's CA.
    pub fn tls_connector(&self) -> TlsConnector {
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(self.ca_pem().as_bytes()) {
            roots.add(cert.unwrap()).unwrap();
        }
        let config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        TlsConnector::from(Arc::new(config))
    }

    /// A TCP connection to the server.
    pub async fn connect(&self) -> TcpStream {
        timeout(WAIT, TcpStream::connect(self.addr))
            .await
            .expect("connect timed out")
            .unwrap()
    }

    /// A TCP connection from another loopback address, as from another machine.
    pub async fn connect_from(&self, source: IpAddr) -> TcpStream {
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::new(source, 0)).unwrap();
        timeout(WAIT, socket.connect(self.addr))
            .await
            .expect("connect timed out")
            .unwrap()
    }

    /// Puts a message into `mailbox`; returns its UID.
    pub fn deliver(&self, mailbox: &str, message: &[u8]) -> String {
        self.store.deliver(mailbox, message).unwrap().uid
    }

    pub fn uids(&self, mailbox: &str) -> Vec<String> {
        self.store
            .list(mailbox)
            .unwrap()
            .into_iter()
            .map(|m| m.uid)
            .collect()
    }

    /// The messages in `mailbox`, oldest first.
    pub fn mailbox(&self, mailbox: &str) -> Vec<String> {
        self.uids(mailbox)
            .iter()
            .map(|uid| String::from_utf8(self.store.read(mailbox, uid).unwrap().unwrap()).unwrap())
            .collect()
    }

    /// Changes the SMTP server's settings; connections accepted from now on follow them.
    pub fn switch_smtp(&self, change: impl FnOnce(&mut SmtpSettings)) {
        self.smtp
            .as_ref()
            .expect("an SMTP sandbox")
            .send_modify(change);
    }

    pub fn set_smtp_faults(&self, faults: SmtpFaults) {
        self.switch_smtp(|s| s.faults = faults);
    }

    /// The POP3 server's fault switch.
    pub fn pop3_faults(&self) -> &FaultSwitch {
        self.pop3_faults.as_ref().expect("a POP3 sandbox")
    }

    /// Stops the server and waits until it has (a panic in it fails the test here).
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        let task = self.task.take().unwrap();
        timeout(WAIT, task)
            .await
            .expect("the server did not stop")
            .unwrap();
    }
}

/// Waits until the dialogue shows a line containing `text`.
pub async fn wait_for_line(
    lines: &mut broadcast::Receiver<DialogueLine>,
    text: &str,
) -> DialogueLine {
    timeout(WAIT, async {
        loop {
            let line = lines.recv().await.unwrap();
            if line.text.contains(text) {
                return line;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no dialogue line with {text:?}"))
}

/// Waits until the session that logged in to `mailbox` has ended, as its last dialogue note
/// says. `lines` must have been subscribed before that login.
pub async fn wait_for_session_end(lines: &mut broadcast::Receiver<DialogueLine>, mailbox: &str) {
    let login = format!("logged in to {mailbox}");
    let mut session = None;
    timeout(WAIT, async {
        loop {
            let line = lines.recv().await.unwrap();
            if line.direction != Direction::Note {
                continue;
            }
            if line.text == login {
                session = Some(line.session);
            } else if session == Some(line.session) && is_session_end(&line.text) {
                return;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the session on {mailbox} did not end"));
}

/// The notes a POP3 connection ends with ("connection dropped mid-transfer (fault: …)" comes
/// before the end, "… (fault)" is the end).
fn is_session_end(note: &str) -> bool {
    note.starts_with("closed")
        || note.starts_with("client closed")
        || note.starts_with("connection ended")
        || note == "connection dropped mid-transfer (fault)"
}

/// The whole sandbox ISP ([`Builder::isp`]); stopped when dropped.
pub struct Isp {
    pub provider: SandboxProvider,
    /// The database it keeps its mail and policies in, for an engine beside it.
    pub store: Store,
    /// Cancelled when the ISP is dropped; give children of it to what runs beside the ISP.
    pub cancel: CancellationToken,
    pub dir: tempfile::TempDir,
}

impl Drop for Isp {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

impl Isp {
    /// An engine beside the ISP, on its database and reaching it by its addresses, with
    /// `commands` as its command layer; it stops with the ISP.
    pub fn engine(&self, commands: Arc<dyn CommandLayer>, options: EngineOptions) -> Engine {
        Engine::start(
            &self.store,
            Some(self.provider.addresses()),
            commands,
            options,
            self.cancel.child_token(),
            &tokio_util::task::TaskTracker::new(),
        )
        .unwrap()
    }
}
