//! The back end's command-line configuration and its checks.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

/// The shortest access token accepted: long enough that guessing is hopeless.
pub const MIN_TOKEN_LEN: usize = 16;

/// How the back end is started.
#[derive(Clone, Parser)]
#[command(
    name = "karacrix-mail",
    version,
    about = "KaracrixBuilder e-mail environment simulator"
)]
pub struct Config {
    /// Address of the web UI. Anything other than loopback requires --token.
    #[arg(long, env = "KARACRIX_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Where settings, mailboxes and the outbox are kept.
    #[arg(long, env = "KARACRIX_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// The built front end (Trunk's output).
    #[arg(long, env = "KARACRIX_STATIC_DIR", default_value = "frontend/dist")]
    pub static_dir: PathBuf,
    /// Access token for /ws, required when listening on a non-loopback address. Browsers pass it
    /// as `?token=…` in the page address.
    #[arg(long, env = "KARACRIX_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// An extra origin allowed to open /ws (e.g. `http://127.0.0.1:8081` for a dev server).
    /// The page's own origin is always allowed.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allowed_origins: Vec<String>,
    /// A name this server may be reached by besides loopback names and addresses and the
    /// --listen address (e.g. `plant-pc.local`). Pages under any other name are refused, so a
    /// site cannot reach the UI by pointing its own name at this machine (DNS rebinding).
    #[arg(long = "allow-host", value_name = "NAME")]
    pub allowed_hosts: Vec<String>,
    /// The web UI's certificate chain (PEM) for HTTPS; with --tls-key. Without one, a
    /// self-signed certificate is generated when listening beyond loopback.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve plain HTTP beyond loopback (the token and settings then cross the network in
    /// clear); only for a network you trust completely.
    #[arg(long)]
    pub insecure_http: bool,
    /// Caps on connections; fixed for users, smaller in tests.
    #[arg(skip)]
    pub web_limits: WebLimits,
    /// The embedded sandbox ISP.
    #[command(flatten)]
    pub sandbox: SandboxArgs,
    /// Demo time scale: 60 makes one minute of 1.メール受信間隔時間 pass in one second.
    #[arg(long, env = "KARACRIX_TIME_SCALE", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=3600))]
    pub time_scale: u32,
    /// A CA certificate (PEM) to trust for real mail servers besides the public roots.
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// The plant's points file (TOML); the default plant of the manual when not given.
    #[arg(long, value_name = "TOML")]
    pub points: Option<PathBuf>,
    /// The folder of training exercises (one TOML file each); `exercises` when it exists.
    /// A bad file is refused with its line.
    #[arg(long, value_name = "DIR")]
    pub exercises: Option<PathBuf>,
    /// Seconds to wait for a mail server's connection or reply before reporting a timeout.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub mail_timeout_secs: u64,
    /// Send on `submission` (587) without STARTTLS when no AUTH is sent, for lab servers only:
    /// a password goes in plaintext only where 13./14. say "None", whatever this says.
    #[arg(long)]
    pub allow_plain_submission: bool,
    /// Replies to one sender per hour at most; further command mails from it are deleted
    /// unexecuted and unanswered, so that no mail loop can go on (RFC 3834).
    #[arg(long, default_value_t = crate::engine::guard::DEFAULT_REPLIES_PER_HOUR, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub replies_per_hour: u32,
    /// SMTP connections that send replies and alarm mails side by side.
    #[arg(long, default_value_t = crate::engine::DEFAULT_SMTP_CONNECTIONS, value_parser = clap::value_parser!(u16).range(1..=32))]
    pub smtp_connections: u16,
    /// The classroom: trainees each with a simulation of their own.
    #[command(flatten)]
    pub classroom: ClassArgs,
}

/// A classroom instead of one shared simulation.
#[derive(Clone, Default, clap::Args)]
pub struct ClassArgs {
    /// Serve a class of this code (repeat for several): each trainee who joins it from the
    /// browser gets a simulation of their own. Without it, everyone shares one simulation.
    #[arg(long = "class", value_name = "CODE")]
    pub classes: Vec<String>,
    /// The instructor's key for the /instructor page (at least 16 characters); needed with
    /// --class.
    #[arg(long, env = "KARACRIX_INSTRUCTOR_TOKEN", hide_env_values = true)]
    pub instructor_token: Option<String>,
    /// A trainee's simulation with no page open for this long leaves memory; it comes back
    /// from disk, as it was, with the next page.
    #[arg(long, default_value_t = 1800, value_parser = clap::value_parser!(u64).range(1..=604_800))]
    pub session_idle_secs: u64,
    /// Trainees at most in this process (a larger event runs several behind a proxy).
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub max_sessions: u32,
    /// A reverse proxy whose X-Forwarded-For is believed (repeat for several); from any other
    /// peer the header is ignored.
    #[arg(long = "trusted-proxy", value_name = "ADDRESS")]
    pub trusted_proxies: Vec<IpAddr>,
}

impl ClassArgs {
    /// True in class mode.
    pub fn enabled(&self) -> bool {
        !self.classes.is_empty()
    }
}

impl std::fmt::Debug for ClassArgs {
    // The instructor's key is a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClassArgs")
            .field("classes", &self.classes)
            .field(
                "instructor_token",
                &self.instructor_token.as_deref().map(shared::secret::Masked),
            )
            .field("session_idle_secs", &self.session_idle_secs)
            .field("max_sessions", &self.max_sessions)
            .field("trusted_proxies", &self.trusted_proxies)
            .finish()
    }
}

impl std::fmt::Debug for Config {
    // The token is the UI's password: masked, like every secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let token = self.token.as_deref().map(shared::secret::Masked);
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("static_dir", &self.static_dir)
            .field("token", &token)
            .field("allowed_origins", &self.allowed_origins)
            .field("allowed_hosts", &self.allowed_hosts)
            .field("tls_cert", &self.tls_cert)
            .field("insecure_http", &self.insecure_http)
            .field("sandbox", &self.sandbox)
            .field("time_scale", &self.time_scale)
            .field("points", &self.points)
            .field("exercises", &self.exercises)
            .field("classroom", &self.classroom)
            .finish_non_exhaustive()
    }
}

/// Where the embedded sandbox ISP listens. Its ports stand for the well-known ones (25, 587,
/// 465, 110, 995), which need root; 0 picks a free port.
#[derive(Debug, Clone, clap::Args)]
pub struct SandboxArgs {
    /// Do not start the sandbox ISP (use real mail servers only).
    #[arg(long = "no-sandbox")]
    pub disabled: bool,
    /// The loopback address the sandbox listens on (all of 127.0.0.0/8 is loopback).
    #[arg(long = "sandbox-address", default_value = "127.0.0.1")]
    pub address: IpAddr,
    /// Port standing for `smtp` (25).
    #[arg(long = "sandbox-smtp-port", default_value_t = 2525)]
    pub smtp_port: u16,
    /// Port standing for `submission` (587).
    #[arg(long = "sandbox-submission-port", default_value_t = 2587)]
    pub submission_port: u16,
    /// Port standing for `smtps` (465).
    #[arg(long = "sandbox-smtps-port", default_value_t = 2465)]
    pub smtps_port: u16,
    /// Port standing for `pop3` (110).
    #[arg(long = "sandbox-pop3-port", default_value_t = 2110)]
    pub pop3_port: u16,
    /// Port standing for `pop3s` (995).
    #[arg(long = "sandbox-pop3s-port", default_value_t = 2995)]
    pub pop3s_port: u16,
}

impl SandboxArgs {
    /// Where the sandbox ISP listens, as it takes it.
    pub fn listen(&self) -> crate::sandbox::Listen {
        use shared::sandbox::MailService;
        crate::sandbox::Listen {
            address: self.address,
            ports: vec![
                (MailService::Smtp, self.smtp_port),
                (MailService::Submission, self.submission_port),
                (MailService::Smtps, self.smtps_port),
                (MailService::Pop3, self.pop3_port),
                (MailService::Pop3s, self.pop3s_port),
            ],
        }
    }

    /// Every sandbox port picked by the system (for tests running side by side).
    pub fn ephemeral() -> Self {
        SandboxArgs {
            disabled: false,
            address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            smtp_port: 0,
            submission_port: 0,
            smtps_port: 0,
            pop3_port: 0,
            pop3s_port: 0,
        }
    }
}

/// How much of the web server one client can hold. Browsers open a few connections per page
/// and speculative ones they may never use; these leave room for many pages while a flood of
/// idle sockets or pages cannot take the server's memory or descriptors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebLimits {
    /// Open HTTP connections at most; more are closed at once.
    pub max_connections: usize,
    /// Connections that have not sent their first byte yet, at most; more are closed at once.
    pub max_silent: usize,
    /// A connection that sends nothing for this long after connecting is closed.
    pub first_byte_timeout: std::time::Duration,
    /// Open `/ws` sockets at most; more are refused with 503.
    pub max_sockets: usize,
}

impl Default for WebLimits {
    fn default() -> Self {
        WebLimits {
            max_connections: 256,
            max_silent: 32,
            first_byte_timeout: std::time::Duration::from_secs(10),
            max_sockets: 32,
        }
    }
}

/// Pages a trainee may have open at once (tabs, the instructor watching).
const PAGES_PER_TRAINEE: usize = 3;
/// HTTP connections a page may hold (its socket and the browser's parallel fetches).
const CONNECTIONS_PER_PAGE: usize = 2;

impl WebLimits {
    /// The limits for `class`: a classroom's trainees share one process, so the caps that fit
    /// one user's pages grow with the number of trainees it takes.
    pub fn for_class(self, class: &ClassArgs) -> WebLimits {
        if !class.enabled() {
            return self;
        }
        let trainees = usize::try_from(class.max_sessions).unwrap_or(usize::MAX);
        let sockets = trainees.saturating_mul(PAGES_PER_TRAINEE);
        WebLimits {
            max_sockets: self.max_sockets.max(sockets),
            max_connections: self
                .max_connections
                .max(sockets.saturating_mul(CONNECTIONS_PER_PAGE)),
            ..self
        }
    }
}

/// A configuration the back end refuses to run with.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// Listening beyond loopback without a token would hand the plant to the network.
    #[error(
        "listening on {0} (not loopback) needs an access token: pass --token (at least {MIN_TOKEN_LEN} characters)"
    )]
    TokenRequired(SocketAddr),
    /// A token too short to protect anything.
    #[error("the access token must have at least {MIN_TOKEN_LEN} characters")]
    TokenTooShort,
    /// The sandbox must stay on the machine.
    #[error(
        "--sandbox-address {0} is not a loopback address; the sandbox ISP never leaves this machine"
    )]
    SandboxNotLoopback(IpAddr),
    /// An `--allow-origin` that is not `scheme://host[:port]`.
    #[error("--allow-origin {0:?} is not an origin like http://host:port")]
    BadOrigin(String),
    /// An `--allow-host` that is not a bare name.
    #[error("--allow-host {0:?} is not a host name like plant-pc.local (no scheme, port or path)")]
    BadHost(String),
    /// A class without the instructor's key, or with a short one.
    #[error("--class needs --instructor-token with at least {MIN_TOKEN_LEN} characters")]
    InstructorTokenRequired,
    /// A class code that is empty, too long or has characters a URL would have to escape.
    #[error("--class {0:?} is not a class code: 1 to 32 letters, digits, '-' or '_'")]
    BadClass(String),
}

impl Config {
    /// A configuration for tests and embedding: loopback on `listen`, no token.
    pub fn local(listen: SocketAddr, data_dir: PathBuf, static_dir: PathBuf) -> Self {
        Config {
            listen,
            data_dir,
            static_dir,
            token: None,
            allowed_origins: Vec::new(),
            allowed_hosts: Vec::new(),
            tls_cert: None,
            tls_key: None,
            insecure_http: false,
            web_limits: WebLimits::default(),
            sandbox: SandboxArgs::ephemeral(),
            time_scale: 1,
            points: None,
            exercises: None,
            mail_timeout_secs: 30,
            ca_file: None,
            allow_plain_submission: false,
            replies_per_hour: crate::engine::guard::DEFAULT_REPLIES_PER_HOUR,
            smtp_connections: crate::engine::DEFAULT_SMTP_CONNECTIONS,
            classroom: ClassArgs {
                session_idle_secs: 1800,
                max_sessions: 300,
                ..ClassArgs::default()
            },
        }
    }

    /// The engine's options from the command line.
    pub fn engine_options(&self) -> crate::engine::EngineOptions {
        let timeout = std::time::Duration::from_secs(self.mail_timeout_secs);
        let defaults = crate::engine::EngineOptions::default();
        crate::engine::EngineOptions {
            time_scale: self.time_scale,
            ca_file: self.ca_file.clone(),
            allow_plain_submission: self.allow_plain_submission,
            pop3: crate::mailclient::pop3::Options {
                connect_timeout: timeout,
                reply_timeout: timeout,
                session_timeout: pop3_session_timeout(timeout, defaults.pop3.exchange_timeout),
                ..defaults.pop3
            },
            smtp_timeout: timeout,
            replies_per_hour: self.replies_per_hour,
            smtp_connections: self.smtp_connections.into(),
        }
    }

    /// Checks the rules that keep the UI from being exposed by accident.
    pub fn validate(&self) -> Result<(), ConfigError> {
        match &self.token {
            Some(token) if token.chars().count() < MIN_TOKEN_LEN => {
                return Err(ConfigError::TokenTooShort);
            }
            None if !self.listen.ip().is_loopback() => {
                return Err(ConfigError::TokenRequired(self.listen));
            }
            _ => {}
        }
        if !self.sandbox.address.is_loopback() {
            return Err(ConfigError::SandboxNotLoopback(self.sandbox.address));
        }
        for origin in &self.allowed_origins {
            let valid = ["http://", "https://"]
                .iter()
                .filter_map(|scheme| origin.strip_prefix(scheme))
                .any(|rest| !rest.is_empty() && !rest.contains('/'));
            if !valid {
                return Err(ConfigError::BadOrigin(origin.clone()));
            }
        }
        self.validate_classroom()?;
        for host in &self.allowed_hosts {
            let valid = !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
            if !valid {
                return Err(ConfigError::BadHost(host.clone()));
            }
        }
        Ok(())
    }

    fn validate_classroom(&self) -> Result<(), ConfigError> {
        let class = &self.classroom;
        if !class.enabled() {
            return Ok(());
        }
        if class
            .instructor_token
            .as_ref()
            .is_none_or(|t| t.chars().count() < MIN_TOKEN_LEN)
        {
            return Err(ConfigError::InstructorTokenRequired);
        }
        for code in &class.classes {
            let valid = (1..=shared::classroom::MAX_CLASS_CHARS).contains(&code.len())
                && code
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
            if !valid {
                return Err(ConfigError::BadClass(code.clone()));
            }
        }
        Ok(())
    }

    /// True when the web UI is served over HTTPS: a certificate was given, or it listens beyond
    /// loopback without --insecure-http.
    pub fn https(&self) -> bool {
        self.tls_cert.is_some() || !(self.listen.ip().is_loopback() || self.insecure_http)
    }

    /// The address to open in a browser, including the token when one is set.
    pub fn public_url(&self, bound: SocketAddr) -> String {
        let host = if bound.ip().is_unspecified() {
            "127.0.0.1".to_string()
        } else {
            bound.ip().to_string()
        };
        let host = if bound.is_ipv6() && !bound.ip().is_unspecified() {
            format!("[{host}]")
        } else {
            host
        };
        let scheme = if self.https() { "https" } else { "http" };
        match &self.token {
            Some(token) => format!("{scheme}://{host}:{}/?token={token}", bound.port()),
            None => format!("{scheme}://{host}:{}/", bound.port()),
        }
    }
}

/// Replies a POP3 session may wait for in all before it is cut off.
const POP3_SESSION_REPLIES: u32 = 20;

/// The whole POP3 session's deadline: as long as [`POP3_SESSION_REPLIES`] replies each taking the
/// full mail timeout (a server that slow is stalling, not busy), and never shorter than one
/// command's own deadline `exchange`. A large mailbox cut off there loses nothing: its mails
/// are recorded and deleted batch by batch, and the rest come in the next cycle.
fn pop3_session_timeout(mail_timeout: Duration, exchange: Duration) -> Duration {
    (mail_timeout * POP3_SESSION_REPLIES).max(exchange)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(listen: &str, token: Option<&str>) -> Config {
        let mut config = Config::local(listen.parse().unwrap(), "d".into(), "s".into());
        config.token = token.map(String::from);
        config
    }

    #[test]
    fn the_pop3_session_deadline_follows_the_mail_timeout() {
        let mut c = config("127.0.0.1:8080", None);
        c.mail_timeout_secs = 60;
        let pop3 = c.engine_options().pop3;
        assert_eq!(pop3.reply_timeout, Duration::from_secs(60));
        assert_eq!(pop3.session_timeout, Duration::from_secs(20 * 60));
        // Never shorter than one command may take.
        c.mail_timeout_secs = 2;
        let pop3 = c.engine_options().pop3;
        assert_eq!(pop3.session_timeout, pop3.exchange_timeout);
    }

    #[test]
    fn a_class_gets_room_for_every_trainee_s_pages() {
        let mut c = config("127.0.0.1:8080", None);
        let single = c.web_limits.for_class(&c.classroom);
        assert_eq!(single, WebLimits::default());
        c.classroom.classes = vec!["A".into()];
        c.classroom.max_sessions = 200;
        let class = c.web_limits.for_class(&c.classroom);
        assert_eq!(class.max_sockets, 600);
        assert_eq!(class.max_connections, 1200);
        assert_eq!(class.max_silent, single.max_silent);
    }

    #[test]
    fn loopback_needs_no_token() {
        assert_eq!(config("127.0.0.1:8080", None).validate(), Ok(()));
        assert_eq!(config("127.0.0.2:0", None).validate(), Ok(()));
        assert_eq!(config("[::1]:8080", None).validate(), Ok(()));
    }

    #[test]
    fn other_addresses_need_a_long_token() {
        let open = config("0.0.0.0:8080", None);
        assert_eq!(
            open.validate(),
            Err(ConfigError::TokenRequired(open.listen))
        );
        assert_eq!(
            config("0.0.0.0:8080", Some("short")).validate(),
            Err(ConfigError::TokenTooShort)
        );
        assert_eq!(
            config("0.0.0.0:8080", Some("0123456789abcdef")).validate(),
            Ok(())
        );
    }

    #[test]
    fn the_sandbox_stays_on_loopback() {
        let mut c = config("127.0.0.1:8080", None);
        c.sandbox.address = "127.0.0.2".parse().unwrap();
        assert_eq!(c.validate(), Ok(()));
        c.sandbox.address = "192.0.2.1".parse().unwrap();
        assert!(matches!(
            c.validate(),
            Err(ConfigError::SandboxNotLoopback(_))
        ));
    }

    #[test]
    fn extra_origins_must_be_origins() {
        let mut c = config("127.0.0.1:8080", None);
        c.allowed_origins = vec!["http://127.0.0.1:8081".into()];
        assert_eq!(c.validate(), Ok(()));
        c.allowed_origins = vec!["127.0.0.1:8081".into()];
        assert!(matches!(c.validate(), Err(ConfigError::BadOrigin(_))));
        c.allowed_origins = vec!["http://a/b".into()];
        assert!(matches!(c.validate(), Err(ConfigError::BadOrigin(_))));
    }

    #[test]
    fn allowed_hosts_must_be_bare_names() {
        let mut c = config("127.0.0.1:8080", None);
        c.allowed_hosts = vec!["plant-pc.local".into(), "192.0.2.7".into()];
        assert_eq!(c.validate(), Ok(()));
        for bad in ["http://plant", "plant:8080", "plant/x", "", "a b"] {
            c.allowed_hosts = vec![bad.into()];
            assert!(
                matches!(c.validate(), Err(ConfigError::BadHost(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn debug_output_masks_the_token() {
        let c = config("0.0.0.0:8080", Some("0123456789abcdef-secret"));
        let shown = format!("{c:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("token: Some(****)"), "{shown}");
    }

    #[test]
    fn the_printed_url_carries_the_token() {
        let c = config("0.0.0.0:0", Some("0123456789abcdef"));
        assert_eq!(
            c.public_url("0.0.0.0:8080".parse().unwrap()),
            "https://127.0.0.1:8080/?token=0123456789abcdef"
        );
        let mut plain = c.clone();
        plain.insecure_http = true;
        assert_eq!(
            plain.public_url("0.0.0.0:8080".parse().unwrap()),
            "http://127.0.0.1:8080/?token=0123456789abcdef"
        );
        assert_eq!(
            config("127.0.0.1:0", None).public_url("127.0.0.1:9000".parse().unwrap()),
            "http://127.0.0.1:9000/"
        );
    }
}
