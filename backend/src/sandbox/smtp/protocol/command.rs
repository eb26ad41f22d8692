//! Command lines: [`parse_command`] turns one line into a [`Command`]. The grammar work
//! (addresses, ESMTP parameters, AUTH mechanisms) is done by the `smtp-proto` crate; this module
//! narrows its result to what the sandbox serves.

use smtp_proto::{Error as ProtoError, Request};

use super::reply::{self, Reply};

/// Longest command line, CRLF included (RFC 5321 4.5.3.1.4).
pub const MAX_COMMAND_LINE: usize = 512;

/// An AUTH mechanism named by the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    /// RFC 4616.
    Plain,
    /// The de-facto LOGIN mechanism (draft-murchison-sasl-login).
    Login,
    /// Anything else; not offered.
    Other,
}

/// The BODY parameter of MAIL FROM (RFC 6152).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Body {
    /// Not given or `7BIT`.
    #[default]
    SevenBit,
    /// `8BITMIME`.
    EightBitMime,
}

/// One command the sandbox understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `EHLO domain`.
    Ehlo(String),
    /// `HELO domain`.
    Helo(String),
    /// `AUTH mechanism [initial-response]`; `=` as initial response means an empty one.
    Auth {
        /// The mechanism.
        mechanism: Mechanism,
        /// The base64 initial response, if given.
        initial: Option<String>,
    },
    /// `MAIL FROM:<address> [SIZE=n] [BODY=…]`.
    Mail {
        /// The reverse path, empty for the null sender.
        from: String,
        /// The declared size, if given.
        size: Option<usize>,
        /// The body type.
        body: Body,
        /// An ESMTP parameter that was not advertised (SMTPUTF8, BINARYMIME, REQUIRETLS).
        unsupported: Option<&'static str>,
    },
    /// `RCPT TO:<address>`.
    Rcpt(String),
    /// `DATA`.
    Data,
    /// `RSET`.
    Rset,
    /// `NOOP`.
    Noop,
    /// `QUIT`.
    Quit,
    /// `STARTTLS` (RFC 3207).
    StartTls,
    /// `VRFY`: answered with 252, never reveals who exists.
    Vrfy,
    /// A known SMTP command the sandbox does not offer (EXPN, HELP, BDAT, ETRN, …).
    NotImplemented,
}

/// Why a command line could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Not an SMTP command.
    Unknown,
    /// The line contains a NUL octet.
    Nul,
    /// The command's syntax, for the reply.
    Syntax(&'static str),
    /// A malformed reverse path.
    BadSender,
    /// A malformed forward path.
    BadRecipient,
    /// A malformed parameter value.
    BadParameter(&'static str),
    /// A parameter that is not supported.
    UnsupportedParameter(String),
}

impl ParseError {
    /// The reply this error calls for.
    pub fn reply(&self) -> Reply {
        match self {
            ParseError::Unknown => reply::UNKNOWN_COMMAND.into(),
            ParseError::Nul => reply::NUL_IN_COMMAND.into(),
            ParseError::Syntax(syntax) => reply::syntax_error(syntax),
            ParseError::BadSender => reply::BAD_SENDER_SYNTAX.into(),
            ParseError::BadRecipient => reply::BAD_RECIPIENT_SYNTAX.into(),
            ParseError::BadParameter(param) => reply::bad_parameter(param),
            ParseError::UnsupportedParameter(param) => reply::unsupported_parameter(param),
        }
    }
}

/// Parses one command line (without its line ending).
pub fn parse_command(line: &[u8]) -> Result<Command, ParseError> {
    if line.contains(&0) {
        return Err(ParseError::Nul);
    }
    let mut framed = Vec::with_capacity(line.len() + 2);
    framed.extend_from_slice(line);
    framed.extend_from_slice(b"\r\n");
    let request = Request::parse(&mut framed.iter()).map_err(|e| match e {
        ProtoError::UnknownCommand => ParseError::Unknown,
        ProtoError::InvalidSenderAddress => ParseError::BadSender,
        ProtoError::InvalidRecipientAddress => ParseError::BadRecipient,
        ProtoError::SyntaxError { syntax } => ParseError::Syntax(syntax),
        ProtoError::InvalidParameter { param } => ParseError::BadParameter(param),
        ProtoError::UnsupportedParameter { param } => ParseError::UnsupportedParameter(param),
        // The line is complete, so anything else is malformed input.
        _ => ParseError::Unknown,
    })?;
    Ok(match request {
        Request::Ehlo { host } => Command::Ehlo(host.into_owned()),
        Request::Helo { host } => Command::Helo(host.into_owned()),
        Request::Auth {
            mechanism,
            initial_response,
        } => Command::Auth {
            mechanism: match mechanism {
                smtp_proto::AUTH_PLAIN => Mechanism::Plain,
                smtp_proto::AUTH_LOGIN => Mechanism::Login,
                _ => Mechanism::Other,
            },
            initial: (!initial_response.is_empty()).then(|| initial_response.into_owned()),
        },
        Request::Mail { from } => {
            let unsupported = if from.flags & smtp_proto::MAIL_SMTPUTF8 != 0 {
                Some("SMTPUTF8")
            } else if from.flags & smtp_proto::MAIL_BODY_BINARYMIME != 0 {
                Some("BODY=BINARYMIME")
            } else if from.flags & smtp_proto::MAIL_REQUIRETLS != 0 {
                Some("REQUIRETLS")
            } else {
                None
            };
            Command::Mail {
                // SIZE=0 is what the parser reports for "not given"; a declared 0 means the
                // same to us.
                size: (from.size != 0).then_some(from.size),
                body: if from.flags & smtp_proto::MAIL_BODY_8BITMIME != 0 {
                    Body::EightBitMime
                } else {
                    Body::SevenBit
                },
                unsupported,
                from: from.address.into_owned(),
            }
        }
        Request::Rcpt { to } => {
            if to.address.is_empty() {
                return Err(ParseError::BadRecipient);
            }
            Command::Rcpt(to.address.into_owned())
        }
        Request::Data => Command::Data,
        Request::Rset => Command::Rset,
        Request::Noop { .. } => Command::Noop,
        Request::Quit => Command::Quit,
        Request::StartTls => Command::StartTls,
        Request::Vrfy { .. } => Command::Vrfy,
        Request::Lhlo { .. }
        | Request::Bdat { .. }
        | Request::Expn { .. }
        | Request::Help { .. }
        | Request::Etrn { .. }
        | Request::Atrn { .. }
        | Request::Burl { .. } => Command::NotImplemented,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Command, ParseError> {
        parse_command(line.as_bytes())
    }

    #[test]
    fn commands_parse_as_a_table() {
        let cases: Vec<(&str, Result<Command, ParseError>)> = vec![
            (
                "EHLO client.example",
                Ok(Command::Ehlo("client.example".into())),
            ),
            ("ehlo [127.0.0.1]", Ok(Command::Ehlo("[127.0.0.1]".into()))),
            ("HELO pc", Ok(Command::Helo("pc".into()))),
            ("EHLO", Err(ParseError::Syntax("EHLO domain"))),
            (
                "AUTH LOGIN",
                Ok(Command::Auth {
                    mechanism: Mechanism::Login,
                    initial: None,
                }),
            ),
            (
                "auth plain AGthcmFjcml4AHB3",
                Ok(Command::Auth {
                    mechanism: Mechanism::Plain,
                    initial: Some("AGthcmFjcml4AHB3".into()),
                }),
            ),
            (
                "AUTH PLAIN =",
                Ok(Command::Auth {
                    mechanism: Mechanism::Plain,
                    initial: Some("=".into()),
                }),
            ),
            (
                "AUTH CRAM-MD5",
                Ok(Command::Auth {
                    mechanism: Mechanism::Other,
                    initial: None,
                }),
            ),
            (
                "MAIL FROM:<karacrix@sandbox.test> SIZE=1234 BODY=8BITMIME",
                Ok(Command::Mail {
                    from: "karacrix@sandbox.test".into(),
                    size: Some(1234),
                    body: Body::EightBitMime,
                    unsupported: None,
                }),
            ),
            (
                "MAIL FROM:<>",
                Ok(Command::Mail {
                    from: String::new(),
                    size: None,
                    body: Body::SevenBit,
                    unsupported: None,
                }),
            ),
            (
                "MAIL FROM:<a@b.test> SMTPUTF8",
                Ok(Command::Mail {
                    from: "a@b.test".into(),
                    size: None,
                    body: Body::SevenBit,
                    unsupported: Some("SMTPUTF8"),
                }),
            ),
            (
                "MAIL FROM:<a@b.test> BODY=9BIT",
                Err(ParseError::BadParameter("BODY")),
            ),
            (
                "MAIL FROM:<a@b.test> FOO=bar",
                Err(ParseError::UnsupportedParameter("FOO=BAR".into())),
            ),
            (
                "MAIL TO:<a@b.test>",
                Err(ParseError::Syntax("MAIL FROM:<reverse-path> [parameters]")),
            ),
            (
                "RCPT TO:<operator@sandbox.test>",
                Ok(Command::Rcpt("operator@sandbox.test".into())),
            ),
            (
                "rcpt to: <operator@sandbox.test>",
                Ok(Command::Rcpt("operator@sandbox.test".into())),
            ),
            ("RCPT TO:<>", Err(ParseError::BadRecipient)),
            ("DATA", Ok(Command::Data)),
            ("RSET", Ok(Command::Rset)),
            ("NOOP hello", Ok(Command::Noop)),
            ("QUIT", Ok(Command::Quit)),
            ("STARTTLS", Ok(Command::StartTls)),
            ("VRFY operator", Ok(Command::Vrfy)),
            ("EXPN staff", Ok(Command::NotImplemented)),
            ("HELP", Ok(Command::NotImplemented)),
            ("GET / HTTP/1.1", Err(ParseError::Unknown)),
            ("", Err(ParseError::Unknown)),
            ("NOOP \0", Err(ParseError::Nul)),
        ];
        for (line, expected) in cases {
            assert_eq!(parse(line), expected, "{line:?}");
        }
    }
}
