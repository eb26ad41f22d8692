//! 携帯メール: the operator's phone. Compose a mail to the system (with the charset an old phone
//! would use), see beforehand what the command layer will understand of it, send it through the
//! sandbox ISP, and read the inbox: replies, alarm mails, and each message's raw source.

use leptos::prelude::*;
use shared::ClientMsg;
use shared::Lang;
use shared::phone::Charset;

use crate::components::{ChoiceSelect, ScreenBar, Window};
use crate::model::PhoneResult;
use crate::phone_form::preview;
use crate::use_ui;

/// The phone's own address in the sandbox ISP.
const PHONE_ADDRESS: &str = "operator@sandbox.test";

/// What the phone is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Busy {
    Idle,
    /// Waiting for the answer after this many phone answers had come.
    Sending(u64),
    Checking(u64),
}

/// The phone screen.
#[component]
pub fn PhonePage() -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    let to = RwSignal::new(String::new());
    let to_touched = RwSignal::new(false);
    let subject = RwSignal::new(String::new());
    let body = RwSignal::new(String::new());
    let charset = RwSignal::new(Charset::Utf8);
    let busy = RwSignal::new(Busy::Idle);
    let live = move || ui.model.with(|m| m.is_live());

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

    // A lost connection drops the request; the buttons come back with it.
    Effect::new(move |_| {
        if !live() {
            busy.set(Busy::Idle);
        }
    });

    let points = Memo::new(move |_| ui.model.with(|m| m.points.clone()));
    let parsed = Memo::new(move |_| {
        let l = lang.get();
        let (s, b) = (subject.get(), body.get());
        points.with(|p| preview(&s, &b, p, l))
    });

    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(Busy::Sending(seq.get_untracked()));
        ui.link.send(&ClientMsg::PhoneSend {
            to: to.get_untracked().trim().to_string(),
            subject: subject.get_untracked(),
            body: body.get_untracked(),
            charset: charset.get_untracked(),
        });
    };
    let check = move |_| {
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
        ui.model.with(|m| {
            m.phone_result.as_ref().map(|r| match r {
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
                    format!("{} — {} ({detail})", error.code(), error.meaning(l)),
                ),
            })
        })
    };

    let preview_lines = move || {
        parsed.with(|p| {
            p.lines
                .iter()
                .map(|line| {
                    let line = line.clone();
                    view! {
                        <li class=if line.ok { "preview-line ok" } else { "preview-line error" }
                            data-testid="preview-line" data-ok=line.ok.to_string()>
                            <span class="preview-source">
                                <span class="tag">{move || if line.from_subject {
                                    lang.get().pick("件名", "Subject")
                                } else {
                                    lang.get().pick("本文", "Body")
                                }}</span>
                                <code>{line.line.clone()}</code>
                            </span>
                            <span class="preview-meaning">
                                {if line.ok { "✓ " } else { "✗ " }}{line.meaning.clone()}
                            </span>
                        </li>
                    }
                })
                .collect_view()
        })
    };

    let inbox = Memo::new(move |_| ui.model.with(|m| m.phone_inbox.clone()));

    view! {
        <div class="screen" data-testid="phone-screen">
            <ScreenBar ja="携帯メール" en="Phone (mail)" />
            <div class="frames">
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
                <Window id="phone-preview" ja="コマンドとしての解釈（送信前の確認）" en="As commands (check before sending)">
                    <p class="frame-hint">{move || lang.get().pick(
                        "システムが受信したときと同じ規則で読み取った結果です。",
                        "Read by the same rules the system applies when the mail arrives.",
                    )}</p>
                    <ol class="plain preview-list" data-testid="preview-list">{preview_lines}</ol>
                    <Show when=move || parsed.with(|p| p.lines.is_empty() && p.refused.is_none())>
                        <p class="empty-note" data-testid="preview-empty">{move || lang.get().pick(
                            "コマンドはありません（返信は届きません）。",
                            "No commands (no reply will come).",
                        )}</p>
                    </Show>
                    {move || parsed.with(|p| p.refused.clone()).map(|why| view! {
                        <p class="save-outcome error" data-testid="preview-refused">{why}</p>
                    })}
                    <p data-testid="preview-pin">
                        {move || lang.get().pick("暗証番号: ", "PIN: ")}
                        {move || parsed.with(|p| p.pin.clone())
                            .unwrap_or_else(|| lang.get().pick("なし", "none").to_string())}
                    </p>
                </Window>
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
            </div>
        </div>
    }
}
