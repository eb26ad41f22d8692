//! The display language. Japanese is the original product's language and the default.

use serde::{Deserialize, Serialize};

/// A display language of the UI and of the help texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// 日本語, the original's language.
    #[default]
    Ja,
    /// English.
    En,
}

impl Lang {
    /// The other language, for the JA/EN switch.
    pub fn toggled(self) -> Self {
        match self {
            Lang::Ja => Lang::En,
            Lang::En => Lang::Ja,
        }
    }

    /// Picks the text of this language from a Japanese/English pair.
    pub fn pick<'a>(self, ja: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Ja => ja,
            Lang::En => en,
        }
    }

    /// The BCP 47 tag, for the page's `lang` attribute.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toggling_twice_returns_to_japanese() {
        assert_eq!(Lang::default(), Lang::Ja);
        assert_eq!(Lang::Ja.toggled(), Lang::En);
        assert_eq!(Lang::Ja.toggled().toggled(), Lang::Ja);
        assert_eq!(Lang::En.pick("開始", "start"), "start");
        assert_eq!(Lang::Ja.pick("開始", "start"), "開始");
    }
}
