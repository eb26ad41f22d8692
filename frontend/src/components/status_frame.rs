//! Frame (3): the engine's live connection state, read from the status catalogue, with a link
//! straight to the help entry of what it shows.

use leptos::prelude::*;
use shared::engine::EngineState;

use crate::components::{clock, value_row};
use crate::help::{error_id, status_id};
use crate::nav::{self, Page};
use crate::use_ui;

/// The live state: code, meaning, last success and failure, the limits refusing mail, outbox
/// and progress.
#[component]
pub fn StatusFrame() -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    let engine = Memo::new(move |_| ui.model.with(|m| m.engine.clone()));
    let stale = move || !ui.model.with(|m| m.is_live());
    let with_state = move |f: fn(&EngineState, shared::Lang) -> String| {
        move || {
            let l = lang.get();
            engine.with(|e| e.as_ref().map(|e| f(e, l)).unwrap_or_else(|| "—".into()))
        }
    };
    let is_error = move || engine.with(|e| e.as_ref().is_some_and(|e| e.status.is_error()));
    // In the screen's language: the back end says each detail in both.
    let detail = move || {
        let l = lang.get();
        engine.with(|e| match e.as_ref().map(|e| &e.status) {
            Some(shared::status::MailStatus::Error { detail, .. }) if !detail.is_empty() => {
                Some(detail.text(l).to_string())
            }
            _ => None,
        })
    };
    let help_entry = move || engine.with(|e| e.as_ref().map(|e| status_id(&e.status)));
    let open_help = move |_| {
        if let Some(entry) = help_entry() {
            nav::go(ui.page, Page::Help { entry: Some(entry) });
        }
    };
    let standing = move || engine.with(|e| e.as_ref().and_then(|e| e.standing_error.clone()));
    let holds = move || {
        let l = lang.get();
        engine.with(|e| {
            e.as_ref()
                .map(|e| e.holds.iter().map(|h| hold_text(h, l)).collect::<Vec<_>>())
                .unwrap_or_default()
        })
    };
    view! {
        <div class="status-frame" class:stale=stale>
            <div class="status-line">
                <output
                    class="status-display"
                    class:error=is_error
                    data-testid="status-display"
                    aria-live="polite"
                >
                    {with_state(|e, _| e.status.display())}
                </output>
                <button
                    type="button"
                    class="btn btn-small"
                    data-testid="status-help"
                    disabled=move || help_entry().is_none()
                    on:click=open_help
                >
                    {move || if is_error() {
                        lang.get().pick("このエラーの意味と対処？", "What it means and how to fix it?")
                    } else {
                        lang.get().pick("この表示の説明？", "What this means?")
                    }}
                </button>
            </div>
            <p class="status-meaning" data-testid="status-meaning">
                {with_state(|e, l| e.status.meaning(l).to_string())}
            </p>
            {move || standing().map(|f| view! { <StandingError failure=f /> })}
            {move || {
                let holds = holds();
                (!holds.is_empty()).then(|| view! {
                    <ul class="status-holds" data-testid="holds" role="status">
                        {holds.into_iter().map(|h| view! { <li>{h}</li> }).collect_view()}
                    </ul>
                })
            }}
            {move || detail().map(|d| view! {
                <p class="status-detail" data-testid="status-detail">
                    {move || lang.get().pick("詳細: ", "Detail: ")}<code>{d}</code>
                </p>
            })}
            <table class="fields">
                <tbody>
                    {value_row("最後の成功", "Last success", "last-success", with_state(|e, l| {
                        e.last_success_unix.map_or_else(|| l.pick("まだありません", "none yet").into(), clock::date_time)
                    }))}
                    {value_row("最後の失敗", "Last failure", "last-failure", with_state(|e, l| {
                        e.last_failure.as_ref().map_or_else(
                            || l.pick("まだありません", "none yet").into(),
                            |f| format!("{} {}", clock::date_time(f.at_unix), f.error.code()),
                        )
                    }))}
                    {value_row("送信待ちメール", "Mails waiting to be sent", "outbox", with_state(|e, _| e.outbox.to_string()))}
                    {value_row("実行したコマンドメール", "Command mails executed", "executed", with_state(|e, _| e.executed.to_string()))}
                    {value_row("時間倍率", "Time scale", "time-scale", with_state(|e, l| {
                        if e.time_scale <= 1 {
                            l.pick("実時間", "real time").into()
                        } else {
                            format!("× {}", e.time_scale)
                        }
                    }))}
                </tbody>
            </table>
        </div>
    }
}

/// A reply limit or PIN lock-out, with when it ends.
fn hold_text(hold: &shared::engine::Hold, lang: shared::Lang) -> String {
    let until = clock::date_time(hold.until_unix());
    match lang {
        shared::Lang::Ja => format!("{}（{until} まで）", hold.text(lang)),
        shared::Lang::En => format!("{} (until {until})", hold.text(lang)),
    }
}

/// The last error while no success followed it, with its time and its help one click away: the
/// retries show normal in-progress states, so without this the error would only flash.
#[component]
fn StandingError(failure: shared::engine::Failure) -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    let entry = error_id(failure.error);
    let error = failure.error;
    let detail = failure.detail.clone();
    view! {
        <div class="standing-error" data-testid="standing-error" role="alert">
            <p>
                <strong>{move || lang.get().pick("最後のエラー", "Last error")}</strong>
                " "
                <time data-testid="standing-error-time">{clock::date_time(failure.at_unix)}</time>
                " "
                <code class="status-display error" data-testid="standing-error-code">{error.code()}</code>
                <button
                    type="button"
                    class="btn btn-small help-q"
                    data-testid="standing-error-help"
                    title=move || lang.get().pick("このエラーの意味と対処", "What this error means and how to fix it")
                    on:click=move |_| nav::go(ui.page, Page::Help { entry: Some(entry.clone()) })
                >"?"</button>
            </p>
            <p data-testid="standing-error-meaning">{move || error.meaning(lang.get())}</p>
            <p class="status-detail" data-testid="standing-error-detail">
                {move || lang.get().pick("詳細: ", "Detail: ")}
                <code>{move || detail.text(lang.get()).to_string()}</code>
            </p>
            <p class="hint">{move || lang.get().pick(
                "次に成功するまで表示したままにします。",
                "Kept on display until a later cycle succeeds.",
            )}</p>
        </div>
    }
}
