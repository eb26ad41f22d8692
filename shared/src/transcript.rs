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

/// Something the back end tells the people watching, in both languages: an engine notice (a
/// refused sender, a wrong PIN, a mail too large), or the detail of an error in frame (3) and
/// the connection test. What is not ours to translate (a server's reply, a host name, a system
/// error) is kept as written inside both sentences.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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

    /// Text that reads the same in both languages: a server's reply, a host name, a code.
    pub fn same(text: impl Into<String>) -> Self {
        let text = text.into();
        Notice {
            ja: text.clone(),
            en: text,
        }
    }

    /// The sentence in `lang`.
    pub fn text(&self, lang: Lang) -> &str {
        lang.pick(&self.ja, &self.en)
    }

    /// True when there is nothing to say.
    pub fn is_empty(&self) -> bool {
        self.ja.is_empty() && self.en.is_empty()
    }

    /// `prefix: ` before both sentences, e.g. the server a detail is about.
    pub fn after(self, prefix: &str) -> Self {
        Notice {
            ja: format!("{prefix}: {}", self.ja),
            en: format!("{prefix}: {}", self.en),
        }
    }

    /// Both sentences followed by a likely fix in parentheses, in the same language.
    pub fn with_fix(self, fix: &Notice) -> Self {
        Notice {
            ja: format!("{}（{}）", self.ja, fix.ja),
            en: format!("{} ({})", self.en, fix.en),
        }
    }
}

/// The English sentence, for the back end's own log.
impl std::fmt::Display for Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.en)
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
    fn notices_keep_what_is_not_ours_in_both_languages() {
        let reply = Notice::same("-ERR [AUTH] invalid").after("pop.example.jp:110");
        assert_eq!(reply.text(Lang::Ja), reply.text(Lang::En));
        let fixed = Notice::new("応答がありません", "no reply")
            .with_fix(&Notice::new("TLS を選んでください", "choose TLS"));
        assert_eq!(
            fixed.text(Lang::Ja),
            "応答がありません（TLS を選んでください）"
        );
        assert_eq!(fixed.text(Lang::En), "no reply (choose TLS)");
        assert!(Notice::default().is_empty());
        assert_eq!(fixed.to_string(), "no reply (choose TLS)");
    }

    #[test]
    fn long_lines_are_clipped_on_a_character_boundary() {
        assert_eq!(clip("+OK"), "+OK");
        let long = "あ".repeat(MAX_LINE_CHARS + 10);
        let clipped = clip(&long);
        assert_eq!(clipped.chars().count(), MAX_LINE_CHARS + 1);
        assert!(clipped.ends_with('…'));
    }
}
