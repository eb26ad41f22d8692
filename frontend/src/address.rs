//! What the page's own address asks for, and the socket address that follows from it.
//!
//! - `/instructor#key=KEY`: the instructor's page.
//! - `/?watch=ID#key=KEY`: the instructor's read-only view of trainee `ID`.
//! - anything else: the simulator; `?class=CODE` prefills the join form.
//!
//! The key travels in the fragment, which browsers never send to a server or a proxy; the page
//! keeps it in the tab's session storage so a reload works, and takes it out of the address bar.
//! Pure text in and out, so it is tested on native; reading `window.location` is the caller's.

/// What the page is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// The simulator (single-user, or a trainee of a class).
    App {
        /// `?class=` of the address, to prefill the join form.
        class: Option<String>,
    },
    /// The instructor's page.
    Instructor,
    /// The instructor's read-only view of one trainee.
    Watch {
        /// The trainee's id.
        id: String,
    },
}

impl Place {
    /// The place of a path and query (`location.pathname`, `location.search`).
    pub fn parse(path: &str, search: &str) -> Place {
        if path.trim_end_matches('/') == "/instructor" {
            return Place::Instructor;
        }
        if let Some(id) = param(search, "watch").filter(|id| !id.is_empty()) {
            return Place::Watch { id };
        }
        Place::App {
            class: param(search, "class").filter(|c| !c.trim().is_empty()),
        }
    }
}

/// The instructor's key in a fragment such as `#key=KEY` (or `#settings&key=KEY`).
pub fn fragment_key(hash: &str) -> Option<String> {
    param(hash.trim_start_matches('#'), "key").filter(|k| !k.is_empty())
}

/// The fragment with the key taken out (`#settings&key=K` → `#settings`, `#key=K` → ``).
pub fn fragment_without_key(hash: &str) -> String {
    let rest: Vec<&str> = hash
        .trim_start_matches('#')
        .split('&')
        .filter(|part| !part.is_empty() && !part.starts_with("key="))
        .collect();
    if rest.is_empty() {
        String::new()
    } else {
        format!("#{}", rest.join("&"))
    }
}

/// Which socket the page opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocketTarget {
    /// Single-user mode: `/ws`.
    Single,
    /// A trainee of `class`: `/ws?class=CODE` (the cookie names the trainee; the query is for
    /// a reverse proxy that routes by class).
    Trainee {
        /// The class code.
        class: String,
    },
    /// The read-only view: `/ws?watch=ID&key=KEY`.
    Watch {
        /// The trainee's id.
        id: String,
        /// The instructor's key.
        key: String,
    },
    /// The instructor's socket: `/ws/instructor?key=KEY`.
    Instructor {
        /// The instructor's key.
        key: String,
    },
}

impl SocketTarget {
    /// The path and query of the socket; `token` is the access token of a non-loopback back
    /// end, when there is one.
    pub fn path(&self, token: Option<&str>) -> String {
        let (path, mut query) = match self {
            SocketTarget::Single => ("/ws", Vec::new()),
            SocketTarget::Trainee { class } => ("/ws", vec![("class", class.as_str())]),
            SocketTarget::Watch { id, key } => {
                ("/ws", vec![("watch", id.as_str()), ("key", key.as_str())])
            }
            SocketTarget::Instructor { key } => ("/ws/instructor", vec![("key", key.as_str())]),
        };
        if let Some(token) = token {
            query.push(("token", token));
        }
        with_query(path, &query)
    }
}

/// The read-only view of trainee `id` as the instructor's page opens it: `/?watch=ID#key=KEY`,
/// the key in the fragment so that no server or proxy ever receives it with the address.
pub fn watch_address(id: &str, key: &str) -> String {
    format!(
        "{}#{}",
        with_query("/", &[("watch", id)]),
        with_query("", &[("key", key)]).trim_start_matches('?')
    )
}

/// `path?name=value&…` with the values encoded; just `path` without any.
pub fn with_query(path: &str, query: &[(&str, &str)]) -> String {
    let mut out = path.to_string();
    for (n, (name, value)) in query.iter().enumerate() {
        out.push(if n == 0 { '?' } else { '&' });
        out.push_str(name);
        out.push('=');
        out.push_str(&encode(value));
    }
    out
}

/// The value of `name` in `a=1&b=2` (a leading `?` is allowed), decoded.
pub fn param(query: &str, name: &str) -> Option<String> {
    query
        .trim_start_matches('?')
        .split('&')
        .filter_map(|part| part.split_once('=').or(Some((part, ""))))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| decode(value))
}

/// Percent-encodes all but the unreserved characters of RFC 3986.
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Decodes `%XX` and `+`; a broken escape is kept as it is.
fn decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = value
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The place the page's address names now.
pub fn current_place() -> Place {
    let location = web_sys::window().map(|w| w.location());
    let read = |f: fn(&web_sys::Location) -> Result<String, wasm_bindgen::JsValue>| {
        location
            .as_ref()
            .and_then(|l| f(l).ok())
            .unwrap_or_default()
    };
    Place::parse(&read(|l| l.pathname()), &read(|l| l.search()))
}

/// Where this tab keeps the instructor's key for reloads (gone when the tab closes).
const KEY_STORAGE: &str = "karacrix-instructor-key";

/// The instructor's key: from the address's fragment, taken out of the address bar and kept in
/// this tab's session storage; else the one kept before.
pub fn instructor_key() -> Option<String> {
    let window = web_sys::window()?;
    let storage = window.session_storage().ok().flatten();
    let location = window.location();
    let hash = location.hash().unwrap_or_default();
    let Some(key) = fragment_key(&hash) else {
        return storage?.get_item(KEY_STORAGE).ok().flatten();
    };
    if let Some(storage) = &storage {
        let _ = storage.set_item(KEY_STORAGE, &key);
    }
    let address = format!(
        "{}{}{}",
        location.pathname().ok()?,
        location.search().unwrap_or_default(),
        fragment_without_key(&hash)
    );
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&address));
    }
    Some(key)
}

/// On a page that waits for the key: a key added to the address afterwards changes only the
/// fragment, which loads nothing, so the page starts over with it.
pub fn reload_when_a_key_arrives() {
    use wasm_bindgen::JsCast;
    let Some(window) = web_sys::window() else {
        return;
    };
    let on_change = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
        if let Some(window) = web_sys::window()
            && fragment_key(&window.location().hash().unwrap_or_default()).is_some()
        {
            let _ = window.location().reload();
        }
    });
    let _ =
        window.add_event_listener_with_callback("hashchange", on_change.as_ref().unchecked_ref());
    // The listener lives as long as the page does.
    on_change.forget();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_and_query_name_the_place() {
        assert_eq!(Place::parse("/", ""), Place::App { class: None });
        assert_eq!(
            Place::parse("/", "?class=A1"),
            Place::App {
                class: Some("A1".into())
            }
        );
        assert_eq!(Place::parse("/", "?class="), Place::App { class: None });
        assert_eq!(Place::parse("/instructor", ""), Place::Instructor);
        assert_eq!(Place::parse("/instructor/", "?x=1"), Place::Instructor);
        assert_eq!(
            Place::parse("/", "?token=t&watch=s-7"),
            Place::Watch { id: "s-7".into() }
        );
        assert_eq!(Place::parse("/", "?watch="), Place::App { class: None });
    }

    #[test]
    fn the_key_comes_from_the_fragment_and_leaves_it() {
        assert_eq!(fragment_key("#key=abc%2Bd"), Some("abc+d".into()));
        assert_eq!(fragment_key("#settings&key=k1"), Some("k1".into()));
        assert_eq!(fragment_key("#settings"), None);
        assert_eq!(fragment_key("#key="), None);
        assert_eq!(fragment_without_key("#key=abc"), "");
        assert_eq!(fragment_without_key("#settings&key=abc"), "#settings");
        assert_eq!(
            fragment_without_key("#help/err-timeout"),
            "#help/err-timeout"
        );
    }

    #[test]
    fn each_target_has_its_socket_address() {
        assert_eq!(SocketTarget::Single.path(None), "/ws");
        assert_eq!(SocketTarget::Single.path(Some("t t")), "/ws?token=t%20t");
        let trainee = SocketTarget::Trainee {
            class: "研修A".into(),
        };
        assert_eq!(trainee.path(None), "/ws?class=%E7%A0%94%E4%BF%AEA");
        let watch = SocketTarget::Watch {
            id: "s1".into(),
            key: "k&=".into(),
        };
        assert_eq!(watch.path(None), "/ws?watch=s1&key=k%26%3D");
        let instructor = SocketTarget::Instructor { key: "k".into() };
        assert_eq!(instructor.path(Some("t")), "/ws/instructor?key=k&token=t");
    }

    #[test]
    fn the_read_only_view_carries_the_key_in_its_fragment() {
        let address = watch_address("s 1", "k#1");
        assert_eq!(address, "/?watch=s%201#key=k%231");
        let (path_and_query, fragment) = address.split_once('#').unwrap();
        let (path, query) = path_and_query.split_once('?').unwrap();
        assert_eq!(Place::parse(path, query), Place::Watch { id: "s 1".into() });
        assert_eq!(fragment_key(fragment), Some("k#1".into()));
    }

    #[test]
    fn values_decode_and_survive_encoding() {
        assert_eq!(param("?a=1&b=x%20y+z", "b"), Some("x y z".into()));
        assert_eq!(param("a", "a"), Some(String::new()));
        assert_eq!(param("a=%zz%", "a"), Some("%zz%".into()));
        let odd = "研修 A&B=%+";
        assert_eq!(
            param(&with_query("", &[("class", odd)]), "class"),
            Some(odd.into())
        );
    }
}
