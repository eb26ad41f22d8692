//! The instructor's socket, `/ws/instructor?key=KEY`: class messages into the [`ClassModel`],
//! requests out; it reconnects by itself with the simulator's backoff.

use std::time::Duration;

use leptos::prelude::*;
use shared::classroom::{ClassMsg, InstructorMsg};

use super::model::{ClassEvent, ClassModel};
use crate::address::SocketTarget;
use crate::model::{FIRST_RETRY_MS, LinkState};
use crate::socket::Socket;

/// A handle to the instructor's connection; `Copy`.
#[derive(Clone, Copy)]
pub struct ClassLink {
    model: RwSignal<ClassModel>,
    target: StoredValue<SocketTarget>,
    socket: StoredValue<Option<Socket>, LocalStorage>,
}

impl ClassLink {
    /// Opens the connection with `key`; it lives as long as the page.
    pub fn start(model: RwSignal<ClassModel>, key: String) -> Self {
        let link = ClassLink {
            model,
            target: StoredValue::new(SocketTarget::Instructor { key }),
            socket: StoredValue::new_local(None),
        };
        link.connect();
        link
    }

    /// Sends a request if the socket is open; the answer comes as a class message.
    pub fn send(&self, msg: &InstructorMsg) {
        self.socket.with_value(|socket| {
            if let Some(socket) = socket {
                socket.send(&msg.encode());
            }
        });
    }

    fn apply(&self, event: ClassEvent) {
        self.model.update(|model| model.apply(event));
    }

    fn connect(self) {
        self.apply(ClassEvent::Connecting);
        let path = self
            .target
            .with_value(|t| t.path(crate::link::access_token().as_deref()));
        let on_text = move |text: String| match ClassMsg::decode(&text) {
            Ok(msg) => self.apply(ClassEvent::Message(msg)),
            Err(err) => leptos::logging::warn!("unreadable class message: {err}"),
        };
        let opened = move || self.apply(ClassEvent::Opened);
        match Socket::open(&path, opened, on_text, move || self.lost()) {
            Some(socket) => self.socket.set_value(Some(socket)),
            None => self.lost(),
        }
    }

    /// As the simulator's link: retry from a timer, never from inside the close handler.
    fn lost(self) {
        self.apply(ClassEvent::Closed);
        let delay = match self.model.with_untracked(|m| m.link) {
            LinkState::Closed { retry_in_ms, .. } => retry_in_ms,
            _ => FIRST_RETRY_MS,
        };
        set_timeout(
            move || self.connect(),
            Duration::from_millis(u64::from(delay)),
        );
    }
}
