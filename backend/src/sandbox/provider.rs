//! The sandbox ISP as one simulation sees it: its accounts, mailboxes, policies (persisted,
//! switchable while it runs) and the memory of its clients, served on the listeners that
//! [`SandboxServers`] shares between simulations.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use shared::sandbox::{
    Clients, MailService, Op25b, Pop3Stage, Requirement, SandboxEndpoint, SandboxInfo,
    SandboxPolicy,
};
use shared::transcript::Party;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::lockout::Lockout;
use super::poll_guard::PollGuard;
use super::pop3::{FaultStage, FaultSwitch, Pop3Context, Pop3Faults};
use super::servers::{Listen, SandboxServers};
use super::smtp::{self, ReplyFault, SmtpContext, SmtpFaults, SmtpPolicy, SmtpSettings};
use super::{Accounts, MailStore, PopBeforeSmtp, accounts, tls::SandboxTls};
use crate::mail::AddressMap;
use crate::mail::Dialogue;
use crate::store::{Store, StoreError};

/// The document under which the policies are kept.
const POLICY_KEY: &str = "sandbox.policy";

/// The sandbox ISP. Cheap to clone.
#[derive(Clone)]
pub struct SandboxProvider {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    accounts: Accounts,
    mail: MailStore,
    dialogue: Dialogue,
    pop_before_smtp: PopBeforeSmtp,
    /// Failed logins, one record for every POP3 and SMTP listener.
    lockout: Lockout,
    /// Logins of the system too close together (the policy's minimum poll interval).
    poll_guard: PollGuard,
    /// Demo time scale: the minimum poll interval is in demo minutes.
    time_scale: std::sync::atomic::AtomicU32,
    tls: SandboxTls,
    store: Store,
    policy: watch::Sender<SandboxPolicy>,
    endpoints: Vec<(MailService, SocketAddr)>,
    pop3_faults: FaultSwitch,
    /// One settings channel per SMTP service, in [`SMTP_SERVICES`] order.
    smtp_settings: Vec<watch::Sender<SmtpSettings>>,
    /// The addresses this simulation's clients connect from.
    clients: Clients,
    /// Ends this simulation's connections.
    cancel: CancellationToken,
}

const SMTP_SERVICES: [MailService; 3] = [
    MailService::Smtp,
    MailService::Submission,
    MailService::Smtps,
];

/// Why a policy was not applied.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// A value out of its range.
    #[error("{0}")]
    Invalid(shared::sandbox::PolicyInvalid),
    /// Storing it failed; nothing was applied.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a training reset failed.
#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    /// The policies were refused or not stored.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// Emptying or filling a mailbox failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A seed mail cannot be written (its From is no address).
    #[error("seed mail: {0}")]
    Seed(#[from] crate::mail::text::ComposeError),
}

impl SandboxProvider {
    /// Binds every listener of `listen` and starts serving on `tasks` until `cancel`, for one
    /// simulation that every client address reaches (single-user mode). The CA and certificate
    /// live in `tls_dir`; policies and mailboxes in `store`.
    pub async fn start(
        listen: &Listen,
        store: &Store,
        tls_dir: &Path,
        cancel: CancellationToken,
        tasks: &TaskTracker,
    ) -> anyhow::Result<Self> {
        let servers = SandboxServers::start(listen, store, tls_dir, cancel.clone(), tasks).await?;
        let provider = servers.tenant(store, Clients::SINGLE, cancel)?;
        servers.serve_everyone(&provider);
        Ok(provider)
    }

    /// The ISP as one simulation sees it, on the shared `servers`: its own mailboxes and
    /// policies in `store`'s scope, reached from `clients`' addresses. Its connections end when
    /// `cancel` is cancelled.
    pub(super) fn new(
        servers: &SandboxServers,
        store: &Store,
        clients: Clients,
        cancel: CancellationToken,
    ) -> Result<Self, StoreError> {
        let policy: SandboxPolicy = store.load(POLICY_KEY)?.unwrap_or_default();
        let shared = &servers.inner;
        let provider = SandboxProvider {
            inner: Arc::new(Inner {
                accounts: Accounts::training(),
                mail: store
                    .scope()
                    .map_or(shared.mail.clone(), |scope| shared.mail.scoped(scope)),
                dialogue: Dialogue::new(Party::Sandbox),
                pop_before_smtp: PopBeforeSmtp::default(),
                lockout: Lockout::default(),
                poll_guard: PollGuard::default(),
                time_scale: std::sync::atomic::AtomicU32::new(1),
                tls: shared.tls.clone(),
                store: store.clone(),
                policy: watch::channel(policy.clone()).0,
                endpoints: shared.endpoints.clone(),
                pop3_faults: FaultSwitch::new(pop3_faults(&policy)),
                smtp_settings: SMTP_SERVICES
                    .iter()
                    .map(|service| watch::channel(smtp_settings(&policy, *service)).0)
                    .collect(),
                clients,
                cancel,
            }),
        };
        provider.apply_poll_gap();
        Ok(provider)
    }

    /// The context a POP3 connection of `service` is served with.
    pub(super) fn pop3_context(&self, service: MailService) -> Pop3Context {
        let inner = &self.inner;
        let mut ctx = Pop3Context::new(
            inner.accounts.clone(),
            inner.mail.clone(),
            inner.dialogue.clone(),
            inner.pop_before_smtp.clone(),
        );
        ctx.tls = Some(inner.tls.acceptor());
        ctx.implicit_tls = service.implicit_tls();
        ctx.faults = inner.pop3_faults.clone();
        ctx.lockout = inner.lockout.clone();
        ctx.poll_guard = inner.poll_guard.clone();
        ctx.shutdown = inner.cancel.clone();
        ctx.system_client = inner.clients.system.into();
        ctx
    }

    /// The context an SMTP connection of `service` is served with.
    pub(super) fn smtp_context(&self, service: MailService) -> SmtpContext {
        let inner = &self.inner;
        let index = SMTP_SERVICES
            .iter()
            .position(|s| *s == service)
            .unwrap_or(0);
        let mut ctx = SmtpContext::new(
            inner.mail.clone(),
            inner.pop_before_smtp.clone(),
            inner.dialogue.clone(),
            inner.smtp_settings[index].subscribe(),
        );
        ctx.tls = Some(inner.tls.acceptor());
        ctx.implicit_tls = service.implicit_tls();
        ctx.lockout = inner.lockout.clone();
        ctx.shutdown = inner.cancel.clone();
        ctx.system_client = inner.clients.system.into();
        ctx
    }

    /// Where this simulation's system and phone connect from.
    pub fn clients(&self) -> Clients {
        self.inner.clients
    }

    /// True once its simulation has stopped.
    pub(super) fn stopped(&self) -> bool {
        self.inner.cancel.is_cancelled()
    }

    /// The policies in force.
    pub fn policy(&self) -> SandboxPolicy {
        self.inner.policy.borrow().clone()
    }

    /// Follows policy changes.
    pub fn subscribe_policy(&self) -> watch::Receiver<SandboxPolicy> {
        self.inner.policy.subscribe()
    }

    /// Stores `policy` durably, then applies it to connections accepted from now on.
    pub fn set_policy(&self, policy: SandboxPolicy) -> Result<(), PolicyError> {
        policy.validate().map_err(PolicyError::Invalid)?;
        self.inner.store.save(POLICY_KEY, &policy)?;
        self.inner.pop3_faults.set(pop3_faults(&policy));
        for (sender, service) in self.inner.smtp_settings.iter().zip(SMTP_SERVICES) {
            sender.send_replace(smtp_settings(&policy, service));
        }
        self.inner.policy.send_replace(policy);
        self.apply_poll_gap();
        Ok(())
    }

    /// Demo time: `scale` demo minutes pass in a real one, also for the minimum poll interval.
    pub fn set_time_scale(&self, scale: u32) {
        self.inner
            .time_scale
            .store(scale.max(1), std::sync::atomic::Ordering::Relaxed);
        self.apply_poll_gap();
    }

    fn apply_poll_gap(&self) {
        let minutes = self.inner.policy.borrow().min_poll_minutes;
        let scale = self
            .inner
            .time_scale
            .load(std::sync::atomic::Ordering::Relaxed);
        let gap = Duration::from_secs(u64::from(minutes) * 60) / scale.max(1);
        self.inner.poll_guard.set_min_gap(Some(gap));
    }

    /// A training reset: these policies, every mailbox emptied and then holding `mails`, and
    /// the ISP's memory of clients (failed logins, PopBeforeSmtp logins) forgotten.
    pub async fn reset(
        &self,
        policy: SandboxPolicy,
        mails: &[shared::training::SeedMail],
    ) -> Result<(), ResetError> {
        self.set_policy(policy)?;
        self.inner.lockout.clear();
        self.inner.pop_before_smtp.clear();
        self.inner.poll_guard.clear();
        for account in self.inner.accounts.all() {
            self.inner.mail.clear(&account.address())?;
        }
        for seed in mails {
            let mailbox = format!("{}@{}", seed.mailbox, accounts::DOMAIN);
            let to = [mailbox.clone()];
            let message = crate::mail::text::compose(&crate::mail::text::TextMail {
                from: &seed.from,
                to: &to,
                subject: &seed.subject,
                body: &seed.body,
                charset: shared::phone::Charset::Utf8,
                extra_headers: &[],
            })?;
            self.inner.mail.deliver_to(vec![mailbox], message).await?;
        }
        Ok(())
    }

    /// The published (masked) dialogue of every sandbox session.
    pub fn dialogue(&self) -> &Dialogue {
        &self.inner.dialogue
    }

    /// The accounts the ISP serves.
    pub fn accounts(&self) -> &Accounts {
        &self.inner.accounts
    }

    /// The mailboxes.
    pub fn mail(&self) -> &MailStore {
        &self.inner.mail
    }

    /// Where `service` listens.
    pub fn endpoint(&self, service: MailService) -> Option<SocketAddr> {
        self.addresses().endpoint(service)
    }

    /// The CA certificate (PEM) clients trust for the sandbox.
    pub fn ca_pem(&self) -> &str {
        self.inner.tls.ca_pem()
    }

    /// Where clients reach this ISP: its listeners and its CA.
    pub fn addresses(&self) -> AddressMap {
        AddressMap::new(self.inner.endpoints.clone(), self.ca_pem().to_string())
            .for_clients(self.inner.clients)
    }

    /// What the UI shows about the sandbox.
    pub fn info(&self) -> SandboxInfo {
        SandboxInfo {
            domain: accounts::DOMAIN.to_string(),
            endpoints: self
                .inner
                .endpoints
                .iter()
                .map(|(service, addr)| SandboxEndpoint {
                    service: *service,
                    address: addr.ip().to_string(),
                    port: addr.port(),
                })
                .collect(),
            accounts: self
                .inner
                .accounts
                .all()
                .iter()
                .map(|a| a.address())
                .collect(),
            policy: self.policy(),
            ca_pem: self.ca_pem().to_string(),
        }
    }
}

/// The SMTP side of the policies, for one service.
fn smtp_settings(policy: &SandboxPolicy, service: MailService) -> SmtpSettings {
    let faults = &policy.faults;
    let requirement = match policy.requirement(service) {
        Requirement::Nothing => smtp::Requirement::Nothing,
        Requirement::PopBeforeSmtp => smtp::Requirement::PopBeforeSmtp {
            window: Duration::from_secs(u64::from(policy.pop_before_smtp_minutes) * 60),
        },
        Requirement::Auth => smtp::Requirement::Auth,
    };
    SmtpSettings {
        policy: SmtpPolicy {
            requirement,
            // The implicit-TLS port is encrypted from the start.
            starttls: if service.implicit_tls() {
                shared::sandbox::StartTls::Off
            } else {
                policy.starttls
            },
            ..SmtpPolicy::default()
        },
        faults: SmtpFaults {
            op25b: if service == MailService::Smtp {
                policy.op25b
            } else {
                Op25b::Off
            },
            op25b_clients: policy.op25b_clients,
            down: faults.down,
            slow: slow(policy),
            // validate() keeps the code in 400..=599, which is all ReplyFault refuses.
            reply: faults
                .smtp_error
                .and_then(|(stage, code)| ReplyFault::new(stage, code).ok()),
            drop_data_after: faults.drop_after_bytes.map(u64::from),
        },
    }
}

fn slow(policy: &SandboxPolicy) -> Option<Duration> {
    let ms = policy.faults.slow_ms;
    (ms > 0).then(|| Duration::from_millis(u64::from(ms)))
}

/// The POP3 side of the policies.
fn pop3_faults(policy: &SandboxPolicy) -> Pop3Faults {
    let faults = &policy.faults;
    Pop3Faults {
        down: faults.down,
        slow: slow(policy),
        error_at: faults.pop3_error.map(|stage| match stage {
            Pop3Stage::Greeting => FaultStage::Greeting,
            Pop3Stage::Auth => FaultStage::Auth,
            Pop3Stage::Retrieve => FaultStage::Retr,
        }),
        drop_retr_after: faults.drop_after_bytes.map(u64::from),
    }
}
