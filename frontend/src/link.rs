//! The one WebSocket to the back end. It feeds every frame into the [`Model`] and reconnects by
//! itself with backoff when the back end goes away.

use leptos::prelude::*;
use shared::protocol::PROTOCOL_VERSION;
use shared::{ClientMsg, ServerMsg};
use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use crate::model::{Event, LinkState, Model};

/// A handle to the connection; `Copy`, so any closure can hold one.
#[derive(Clone, Copy)]
pub struct Link {
    model: RwSignal<Model>,
    socket: StoredValue<Option<Socket>, LocalStorage>,
}

/// A socket and its handlers, dropped together when the next attempt replaces them.
struct Socket {
    ws: WebSocket,
    _on_open: Closure<dyn FnMut()>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl Link {
    /// Opens the connection; it lives as long as the app.
    pub fn start(model: RwSignal<Model>) -> Self {
        let link = Link {
            model,
            socket: StoredValue::new_local(None),
        };
        link.connect();
        link
    }

    /// Sends a message if the socket is open; the back end's next state shows the effect.
    pub fn send(&self, msg: &ClientMsg) {
        self.socket.with_value(|socket| {
            if let Some(socket) = socket
                && socket.ws.ready_state() == WebSocket::OPEN
            {
                let _ = socket.ws.send_with_str(&msg.encode());
            }
        });
    }

    fn apply(&self, event: Event) {
        self.model.update(|model| model.apply(event));
    }

    fn connect(self) {
        self.apply(Event::Connecting);
        let Some(url) = socket_url() else {
            self.lost();
            return;
        };
        let ws = match WebSocket::new(&url) {
            Ok(ws) => ws,
            Err(_) => {
                self.lost();
                return;
            }
        };
        let on_open = Closure::<dyn FnMut()>::new(move || {
            self.apply(Event::Opened);
            self.send(&ClientMsg::Hello {
                protocol: PROTOCOL_VERSION,
            });
        });
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let Some(text) = event.data().as_string() else {
                return;
            };
            match ServerMsg::decode(&text) {
                Ok(msg) => self.apply(Event::Message(msg)),
                Err(err) => leptos::logging::warn!("unreadable message from the back end: {err}"),
            }
        });
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |_: CloseEvent| self.lost());
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        self.socket.set_value(Some(Socket {
            ws,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        }));
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

/// `ws://host/ws`, or `wss://` under https, with the access token passed on.
fn socket_url() -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok()? == "https:" {
        "wss"
    } else {
        "ws"
    };
    let host = location.host().ok()?;
    Some(match access_token() {
        Some(token) => format!(
            "{scheme}://{host}/ws?token={}",
            js_sys::encode_uri_component(&token)
        ),
        None => format!("{scheme}://{host}/ws"),
    })
}

/// Where this tab keeps the token for reconnects and reloads.
const TOKEN_KEY: &str = "karacrix-token";

/// The access token of a non-loopback back end. It comes in the page address (`?token=…`, as
/// the back end prints it); it is taken from there once, kept in this tab's session storage
/// (gone when the tab closes), and removed from the address bar, so it does not stay in the
/// history, a bookmark, a screenshot or a shared screen (as Jupyter does with its token).
fn access_token() -> Option<String> {
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
