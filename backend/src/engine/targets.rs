//! Where the settings send the engine: the POP3 route and security of 6.POPサーバ名, and the
//! SMTP target of 5.SMTP名 and 7.SMTPサーバ名 with the authentication of 12.SmtpAuthLogin. The
//! mail cycle and the connection test both read the settings through here, so they cannot
//! disagree about where a setting leads.

use shared::settings::{self as fields, MailSettings, parse_host_port, parse_smtp_service};
use shared::status::MailError;

use super::Engine;
use crate::mailclient::pop3::Security;
use crate::mailclient::smtp::SmtpTarget;
use crate::mailclient::{ClientError, Route};

/// The port that means submission, where STARTTLS is required unless the lab allows otherwise.
const SUBMISSION_PORT: u16 = 587;

impl Engine {
    /// The POP server of `settings`: its route, and how 13. secures it.
    pub(super) fn pop_route(
        &self,
        settings: &MailSettings,
    ) -> Result<(Route, Security), ClientError> {
        let (host, port) = parse_host_port(&settings.pop_server).ok_or_else(|| {
            ClientError::quoting(MailError::NameNotFound, settings.pop_server.clone())
        })?;
        let port = port.unwrap_or(match settings.pop_security {
            fields::Security::Tls => fields::POP3S_PORT,
            _ => 110,
        });
        let route = self.inner.routes.route(&host, port)?;
        let security = match settings.pop_security {
            fields::Security::Tls => Security::Implicit,
            fields::Security::Starttls => Security::StlsRequired,
            fields::Security::None => Security::Plain,
        };
        Ok((route, security))
    }

    /// The SMTP server of `settings`, with the credentials when 12.SmtpAuthLogin is on.
    pub(super) fn smtp_target(
        &self,
        settings: &MailSettings,
        password: &str,
    ) -> Result<SmtpTarget, ClientError> {
        let endpoint = parse_smtp_service(&settings.smtp_service).ok_or_else(|| {
            ClientError::new(
                MailError::Refused,
                shared::transcript::Notice::new(
                    format!(
                        "{} の {} はサービス名でもポート番号でもありません",
                        fields::Field::SmtpService.label(shared::Lang::Ja),
                        settings.smtp_service
                    ),
                    format!(
                        "{} {} is neither a service name nor a port",
                        fields::Field::SmtpService.label(shared::Lang::En),
                        settings.smtp_service
                    ),
                ),
            )
        })?;
        let route = self
            .inner
            .routes
            .route(&settings.smtp_server, endpoint.port)?;
        Ok(SmtpTarget {
            route,
            security: settings.smtp_security,
            require_starttls: endpoint.port == SUBMISSION_PORT
                && !self.inner.options.allow_plain_submission,
            credentials: settings
                .smtp_auth_login
                .then(|| (settings.user.clone(), password.to_string())),
            hello_name: settings
                .address
                .rsplit_once('@')
                .map_or("localhost", |(_, d)| d)
                .to_string(),
            timeout: self.inner.options.smtp_timeout,
        })
    }
}
