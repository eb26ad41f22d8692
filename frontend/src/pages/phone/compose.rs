//! The phone's new-mail window: To (the system's address until the user types another),
//! Subject, text, charset, Send.

use leptos::prelude::*;
use shared::ClientMsg;
use shared::phone::Charset;

use super::{Busy, Draft, PHONE_ADDRESS};
use crate::components::{ChoiceSelect, Window};
use crate::use_ui;

/// The compose window.
#[component]
pub fn Compose(draft: Draft, busy: RwSignal<Busy>, seq: Memo<u64>) -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    let Draft { subject, body } = draft;
    let to = RwSignal::new(String::new());
    let to_touched = RwSignal::new(false);
    let charset = RwSignal::new(Charset::Utf8);
    let live = move || ui.model.with(|m| m.can_change());

    // The system's address (the saved 8.自分のメールアドレス名) until the user types another.
    let system_address = Memo::new(move |_| {
        ui.model
            .with(|m| m.settings.as_ref().map(|s| s.pending.address.clone()))
    });
    Effect::new(move |_| {
        if let Some(address) = system_address.get()
            && !to_touched.get_untracked()
        {
            to.set(address);
        }
    });
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        ui.model.update(|m| m.clear_error());
        busy.set(Busy::Sending(seq.get_untracked()));
        ui.link.send(&ClientMsg::PhoneSend {
            to: to.get_untracked().trim().to_string(),
            subject: subject.get_untracked(),
            body: body.get_untracked(),
            charset: charset.get_untracked(),
        });
    };
    view! {
        <Window id="phone-compose" ja="新規メール" en="New mail">
            <form class="compose" on:submit=send novalidate=true>
                <p class="frame-hint">
                    {move || lang.get().pick("差出人: ", "From: ")}<code>{PHONE_ADDRESS}</code>
                </p>
                <div class="control">
                    <label for="phone-to">{move || lang.get().pick("宛先", "To")}</label>
                    <input id="phone-to" data-testid="phone-to" type="email"
                        autocomplete="off" prop:value=move || to.get()
                        on:input=move |ev| {
                            to_touched.set(true);
                            to.set(event_target_value(&ev));
                        } />
                </div>
                <div class="control">
                    <label for="phone-subject">{move || lang.get().pick("件名", "Subject")}</label>
                    <input id="phone-subject" data-testid="phone-subject" type="text"
                        autocomplete="off" prop:value=move || subject.get()
                        on:input=move |ev| subject.set(event_target_value(&ev)) />
                </div>
                <div class="control">
                    <label for="phone-body">{move || lang.get().pick("本文（1 行に 1 コマンド）", "Text (one command a line)")}</label>
                    <textarea id="phone-body" data-testid="phone-body" rows="6"
                        prop:value=move || body.get()
                        on:input=move |ev| body.set(event_target_value(&ev))></textarea>
                </div>
                <ChoiceSelect id="phone-charset" ja="文字コード" en="Charset"
                    get=move || charset.get() set=move |c| charset.set(c) />
                <div class="save-bar">
                    <button type="submit" class="btn btn-primary" data-testid="phone-send"
                        disabled=move || !live() || busy.get() != Busy::Idle
                            || to.with(|t| t.trim().is_empty())>
                        {move || lang.get().pick("送信", "Send")}
                    </button>
                </div>
            </form>
        </Window>
    }
}
