//! 携帯メール: the operator's phone. Compose a mail to the system (with the charset an old phone
//! would use), see beforehand what the command layer will understand of it, send it through the
//! sandbox ISP, and read the inbox: replies, alarm mails, and each message's raw source. One
//! component a window; this module holds what they share.

pub mod compose;
pub mod inbox;
pub mod preview;

use leptos::prelude::*;

use crate::components::ScreenBar;
use crate::use_ui;

/// The phone's own address in the sandbox ISP.
const PHONE_ADDRESS: &str = "operator@sandbox.test";

/// What the phone is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Busy {
    /// Nothing asked.
    Idle,
    /// Sending; waiting for the answer after this many phone answers had come.
    Sending(u64),
    /// Checking the inbox, likewise.
    Checking(u64),
}

/// The mail being written, shared by the compose window and the preview.
#[derive(Clone, Copy)]
pub struct Draft {
    /// The Subject.
    pub subject: RwSignal<String>,
    /// The text.
    pub body: RwSignal<String>,
}

/// The phone screen.
#[component]
pub fn PhonePage() -> impl IntoView {
    let ui = use_ui();
    let busy = RwSignal::new(Busy::Idle);
    let draft = Draft {
        subject: RwSignal::new(String::new()),
        body: RwSignal::new(String::new()),
    };
    // An answer ends the wait.
    let seq = Memo::new(move |_| ui.model.with(|m| m.phone_seq));
    Effect::new(move |_| {
        let now = seq.get();
        if let Busy::Sending(before) | Busy::Checking(before) = busy.get_untracked()
            && now != before
        {
            busy.set(Busy::Idle);
        }
    });
    // A refusal of what an earlier screen asked is not this screen's news.
    ui.model.update(|m| m.clear_error());
    // A lost connection drops the request, and a refusal (no sandbox ISP) answers it: either
    // way the buttons come back.
    Effect::new(move |_| {
        if ui
            .model
            .with(|m| !m.is_live() || m.refusal(shared::Lang::En).is_some())
        {
            busy.set(Busy::Idle);
        }
    });
    view! {
        <div class="screen" data-testid="phone-screen">
            <ScreenBar ja="携帯メール" en="Phone (mail)" help="phone" />
            <div class="frames">
                <compose::Compose draft busy seq />
                <preview::Preview draft />
                <inbox::Inbox busy seq />
            </div>
        </div>
    }
}
