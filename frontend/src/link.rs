//! The one WebSocket to the back end. It feeds every frame into the [`Model`] and reconnects by
//! itself with backoff when the back end goes away.

use leptos::prelude::*;
use shared::protocol::PROTOCOL_VERSION;
use shared::{ClientMsg, ServerMsg};
use std::time::Duration;

use crate::address::SocketTarget;
use crate::model::{Event, LinkState, Model};
use crate::socket::Socket;

/// A handle to the connection; `Copy`, so any closure can hold one.
#[derive(Clone, Copy)]
pub struct Link {
    model: RwSignal<Model>,
    target: StoredValue<SocketTarget>,
    socket: StoredValue<Option<Socket>, LocalStorage>,
}

impl Link {
    /// Opens the connection to `target`; it lives as long as the app.
    pub fn start(model: RwSignal<Model>, target: SocketTarget) -> Self {
        let link = Link {
            model,
            target: StoredValue::new(target),
            socket: StoredValue::new_local(None),
        };
        link.connect();
        link
    }

    /// Sends a message if the socket is open; the back end's next state shows the effect.
    pub fn send(&self, msg: &ClientMsg) {
        self.socket.with_value(|socket| {
            if let Some(socket) = socket {
                socket.send(&msg.encode());
            }
        });
    }

    fn apply(&self, event: Event) {
        self.model.update(|model| model.apply(event));
    }

    fn connect(self) {
        self.apply(Event::Connecting);
        let path = self
            .target
            .with_value(|target| target.path(access_token().as_deref()));
        let on_open = move || {
            self.apply(Event::Opened);
            self.send(&ClientMsg::Hello {
                protocol: PROTOCOL_VERSION,
            });
        };
        let on_text = move |text: String| match ServerMsg::decode(&text) {
            Ok(msg) => self.apply(Event::Message(msg)),
            Err(err) => leptos::logging::warn!("unreadable message from the back end: {err}"),
        };
        match Socket::open(&path, on_open, on_text, move || self.lost()) {
            Some(socket) => self.socket.set_value(Some(socket)),
            None => self.lost(),
        }
    }

    /// The socket closed (or never opened): try again later. The retry runs from a timer, not
    /// from inside the close handler, because it replaces (drops) that handler.
    fn lost(self) {
        self.apply(Event::Closed);
        let delay = match self.model.with_untracked(|m| m.link) {
            LinkState::Closed { retry_in_ms, .. } => retry_in_ms,
            _ => crate::model::FIRST_RETRY_MS,
        };
        set_timeout(
            move || self.connect(),
            Duration::from_millis(u64::from(delay)),
        );
    }
}

/// Where this tab keeps the token for reconnects and reloads.
const TOKEN_KEY: &str = "karacrix-token";

/// The access token of a non-loopback back end. It comes in the page address (`?token=…`, as
/// the back end prints it); it is taken from there once, kept in this tab's session storage
/// (gone when the tab closes), and removed from the address bar, so it does not stay in the
/// history, a bookmark, a screenshot or a shared screen (as Jupyter does with its token).
pub fn access_token() -> Option<String> {
    let window = web_sys::window()?;
    let storage = window.session_storage().ok().flatten();
    let location = window.location();
    let query = web_sys::UrlSearchParams::new_with_str(&location.search().ok()?).ok()?;
    let Some(token) = query.get("token") else {
        return storage?.get_item(TOKEN_KEY).ok().flatten();
    };
    if let Some(storage) = &storage {
        let _ = storage.set_item(TOKEN_KEY, &token);
    }
    query.delete("token");
    let rest = String::from(query.to_string());
    let rest = if rest.is_empty() {
        rest
    } else {
        format!("?{rest}")
    };
    let address = format!(
        "{}{rest}{}",
        location.pathname().ok()?,
        location.hash().ok()?
    );
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&address));
    }
    Some(token)
}
