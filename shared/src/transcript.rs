//! Lines of protocol dialogue (POP3, SMTP) as the protocol log view shows them. Secrets are
//! masked before a line becomes a [`DialogueLine`]; nothing here ever holds a password.

use serde::{Deserialize, Serialize};

use crate::Lang;

/// The longest line kept in a transcript; longer lines are cut and marked with `…`.
pub const MAX_LINE_CHARS: usize = 512;

/// Which mail protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    /// POP3, RFC 1939.
    Pop3,
    /// SMTP, RFC 5321.
    Smtp,
}

/// Whose dialogue: the sandbox provider's servers, or the engine (the system's mail module).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Party {
    /// The sandbox ISP's server side.
    Sandbox,
    /// The engine's client side.
    Engine,
}

/// Which way a line went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Client to server (a command).
    ToServer,
    /// Server to client (a reply).
    ToClient,
    /// Not on the wire: a note about the session (connected, TLS started, closed, …).
    Note,
}

/// One line of a protocol dialogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DialogueLine {
    /// When, in milliseconds since the Unix epoch.
    pub at_unix_ms: u64,
    /// Numbers the sessions of one party, so lines can be grouped.
    pub session: u64,
    /// Whose log.
    pub party: Party,
    /// Which protocol.
    pub service: Service,
    /// Which way.
    pub direction: Direction,
    /// The line without its CRLF, secrets masked, at most [`MAX_LINE_CHARS`]. For a note, the
    /// English sentence.
    pub text: String,
    /// A note's Japanese sentence, where the back end wrote one (the engine's notices); wire
    /// lines are the same in every language and have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_ja: Option<String>,
}

impl DialogueLine {
    /// The text to show in `lang`.
    pub fn text_in(&self, lang: Lang) -> &str {
        match (lang, &self.text_ja) {
            (Lang::Ja, Some(ja)) => ja,
            _ => &self.text,
        }
    }
}

/// Something the engine tells the people watching (a refused sender, a wrong PIN, a mail too
/// large), in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// 日本語.
    pub ja: String,
    /// English.
    pub en: String,
}

impl Notice {
    /// A notice from its two sentences.
    pub fn new(ja: impl Into<String>, en: impl Into<String>) -> Self {
        Notice {
            ja: ja.into(),
            en: en.into(),
        }
    }

    /// The sentence in `lang`.
    pub fn text(&self, lang: Lang) -> &str {
        lang.pick(&self.ja, &self.en)
    }
}

/// Cuts a line to [`MAX_LINE_CHARS`] characters, marking the cut.
pub fn clip(text: &str) -> String {
    match text.char_indices().nth(MAX_LINE_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_clipped_on_a_character_boundary() {
        assert_eq!(clip("+OK"), "+OK");
        let long = "あ".repeat(MAX_LINE_CHARS + 10);
        let clipped = clip(&long);
        assert_eq!(clipped.chars().count(), MAX_LINE_CHARS + 1);
        assert!(clipped.ends_with('…'));
    }
}
