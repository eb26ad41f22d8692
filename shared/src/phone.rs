//! The operator's simulated phone (携帯メール): what it sends and what its inbox shows.

use serde::{Deserialize, Serialize};

/// The charset a phone writes in. Old Japanese phones used ISO-2022-JP or Shift_JIS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Charset {
    /// UTF-8 (base64 body).
    #[default]
    Utf8,
    /// ISO-2022-JP (7bit, the classic Japanese mail charset).
    Iso2022Jp,
    /// Shift_JIS (base64 body).
    ShiftJis,
}

impl Charset {
    /// The MIME name.
    pub fn mime_name(self) -> &'static str {
        match self {
            Charset::Utf8 => "UTF-8",
            Charset::Iso2022Jp => "ISO-2022-JP",
            Charset::ShiftJis => "Shift_JIS",
        }
    }

    /// The charset of a MIME name (any case, common aliases).
    pub fn from_mime(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Some(Charset::Utf8),
            "iso-2022-jp" | "csiso2022jp" => Some(Charset::Iso2022Jp),
            "shift_jis" | "shift-jis" | "sjis" | "x-sjis" | "windows-31j" | "cp932" => {
                Some(Charset::ShiftJis)
            }
            _ => None,
        }
    }
}

/// The largest raw source the inbox shows per message.
pub const MAX_RAW_SHOWN: usize = 64 * 1024;

/// A message in the phone's inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneMessage {
    /// The server's unique id.
    pub uid: String,
    /// The From header, decoded.
    pub from: String,
    /// The Subject, decoded.
    pub subject: String,
    /// The Date header as sent.
    pub date: String,
    /// The text, decoded.
    pub text: String,
    /// The charset it came in.
    pub charset: Option<String>,
    /// The raw source (at most [`MAX_RAW_SHOWN`] octets, lossy UTF-8).
    pub raw: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charsets_are_known_by_their_mime_names() {
        for c in [Charset::Utf8, Charset::Iso2022Jp, Charset::ShiftJis] {
            assert_eq!(Charset::from_mime(c.mime_name()), Some(c));
        }
        assert_eq!(Charset::from_mime("CP932"), Some(Charset::ShiftJis));
        assert_eq!(Charset::from_mime("koi8-r"), None);
    }
}
