//! HTTP requests as a browser's `fetch` makes them, played by curl: the status, the cookies set
//! and the body.

use super::curl;

/// Runs curl with `args` (a URL among them) and reads its reply.
pub async fn request(args: &[&str]) -> Reply {
    let args = [&["-i"], args].concat();
    Reply::parse(&curl(&args).await.success())
}

/// An HTTP reply as curl printed it with `-i`.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub set_cookies: Vec<String>,
    pub body: String,
}

impl Reply {
    pub fn parse(text: &str) -> Reply {
        let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|code| code.parse().ok())
            .expect("a status line");
        let set_cookies = lines
            .filter_map(|l| l.split_once(':'))
            .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, value)| value.trim().to_string())
            .collect();
        Reply {
            status,
            set_cookies,
            body: body.to_string(),
        }
    }

    /// The `Cookie` header a browser sends back (name=value of every cookie set).
    pub fn cookies(&self) -> String {
        self.set_cookies
            .iter()
            .filter_map(|c| c.split(';').next())
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn set_cookie(&self, name: &str) -> &str {
        self.set_cookies
            .iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} cookie in {self:?}"))
    }
}
