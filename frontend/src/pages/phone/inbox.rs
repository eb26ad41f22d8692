//! The phone's inbox: Check mail, how the last request went, and the messages with their raw
//! source.

use leptos::prelude::*;
use shared::ClientMsg;
use shared::Lang;

use super::Busy;
use crate::components::Window;
use crate::model::PhoneResult;
use crate::use_ui;

/// The inbox window.
#[component]
pub fn Inbox(busy: RwSignal<Busy>, seq: Memo<u64>) -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    let live = move || ui.model.with(|m| m.can_change());
    let check = move |_| {
        ui.model.update(|m| m.clear_error());
        busy.set(Busy::Checking(seq.get_untracked()));
        ui.link.send(&ClientMsg::PhoneCheck);
    };
    let result_text = move || {
        let l = lang.get();
        match busy.get() {
            Busy::Sending(_) => return Some(("", l.pick("送信中…", "Sending…").to_string())),
            Busy::Checking(_) => {
                return Some(("", l.pick("受信確認中…", "Checking…").to_string()));
            }
            Busy::Idle => {}
        }
        // A refusal (the sandbox ISP turned off) is an answer too.
        if let Some(why) = ui.model.with(|m| m.refusal(l)) {
            return Some(("error", why));
        }
        ui.model
            .with(|m| m.phone_result.as_ref().map(|r| outcome(r, l)))
    };
    let inbox = Memo::new(move |_| ui.model.with(|m| m.phone_inbox.clone()));
    view! {
        <Window id="phone-inbox" ja="受信箱" en="Inbox" class="wide">
            <div class="inbox-bar">
                <button type="button" class="btn" data-testid="phone-check"
                    disabled=move || !live() || busy.get() != Busy::Idle
                    on:click=check>
                    {move || lang.get().pick("メールを確認", "Check mail")}
                </button>
                <span data-testid="phone-outcome" role="status"
                    class=move || format!("save-outcome {}", result_text().map_or("", |r| r.0))>
                    {move || result_text().map(|r| r.1)}
                </span>
            </div>
            <Show
                when=move || !inbox.with(Vec::is_empty)
                fallback=move || view! {
                    <p class="empty-note">{move || lang.get().pick(
                        "受信箱は空です（または未確認です）。",
                        "The inbox is empty (or not checked yet).",
                    )}</p>
                }
            >
                <ul class="plain inbox" data-testid="inbox-list">
                    <For each=move || inbox.get() key=|m| m.uid.clone() let(message)>
                        <li class="mail" data-testid="inbox-message">
                            <dl class="mail-head">
                                <dt>{move || lang.get().pick("件名", "Subject")}</dt>
                                <dd class="mail-subject" data-testid="inbox-subject">{message.subject.clone()}</dd>
                                <dt>{move || lang.get().pick("差出人", "From")}</dt>
                                <dd>{message.from.clone()}</dd>
                                <dt>{move || lang.get().pick("日時", "Date")}</dt>
                                <dd>{message.date.clone()}</dd>
                                <dt>{move || lang.get().pick("文字コード", "Charset")}</dt>
                                <dd>{message.charset.clone().unwrap_or_else(|| "—".into())}</dd>
                            </dl>
                            <pre class="mail-text" data-testid="inbox-text">{message.text.clone()}</pre>
                            <details>
                                <summary data-testid="inbox-raw-toggle">
                                    {move || lang.get().pick("ソースを表示", "Show the raw source")}
                                </summary>
                                <pre class="mail-raw" data-testid="inbox-raw">{message.raw.clone()}</pre>
                            </details>
                        </li>
                    </For>
                </ul>
            </Show>
        </Window>
    }
}

/// How the last send or check went, with its CSS class.
fn outcome(result: &PhoneResult, l: Lang) -> (&'static str, String) {
    match result {
        PhoneResult::Sent(reply) => (
            "ok",
            format!(
                "{} {reply}",
                l.pick("送信しました。ISP の応答:", "Sent. The ISP answered:")
            ),
        ),
        PhoneResult::Checked(n) => (
            "ok",
            match l {
                Lang::Ja => format!("受信箱を確認しました（{n} 通）。"),
                Lang::En => format!("Inbox checked ({n} messages)."),
            },
        ),
        PhoneResult::Failed { error, detail } => (
            "error",
            format!(
                "{} — {} ({})",
                error.code(),
                error.meaning(l),
                detail.text(l)
            ),
        ),
    }
}
