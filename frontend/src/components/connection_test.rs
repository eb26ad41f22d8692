//! 接続テスト on the settings screen: sends what the form holds (not saved, not applied) to the
//! back end's connection test and shows each step live with frame (3)'s code and a `?` to its
//! help entry.

use leptos::prelude::*;
use shared::ClientMsg;
use shared::conntest::{Outcome, StepReport};

use crate::components::{FrameHint, Window};
use crate::form::Draft;
use crate::help::{error_id, status_id};
use crate::nav::{self, Page};
use crate::use_ui;

/// The help entry a step's `?` opens: its error, else the state frame (3) shows during it.
fn help_entry(report: &StepReport) -> String {
    match &report.outcome {
        Outcome::Failed { error } => error_id(*error),
        _ => report
            .step
            .status()
            .map_or_else(|| "conn-test".into(), |s| status_id(&s)),
    }
}

/// The test's window: the button, the test-mail choice and the steps.
#[component]
pub fn ConnectionTest(
    /// The settings form.
    draft: RwSignal<Draft>,
    /// Whether a password is saved (an empty input then means "the saved one").
    #[prop(into)]
    password_set: Signal<bool>,
) -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    let send_mail = RwSignal::new(false);
    let invalid = RwSignal::new(Vec::<String>::new());
    let report = Memo::new(move |_| ui.model.with(|m| m.conn_test.clone()));
    let running = move || report.with(|r| r.as_ref().is_some_and(|r| !r.finished));
    let start = move |_| match draft.with_untracked(|d| d.to_save(password_set.get_untracked())) {
        Err(errors) => {
            let l = lang.get_untracked();
            invalid.set(errors.iter().map(|e| e.message(l)).collect());
        }
        Ok((settings, password)) => {
            invalid.set(Vec::new());
            ui.model.update(|m| m.conn_test = None);
            ui.link.send(&ClientMsg::TestConnection {
                settings,
                password,
                send_test_mail: send_mail.get_untracked(),
            });
        }
    };
    let summary = move || {
        let l = lang.get();
        report.with(|r| match r {
            None => String::new(),
            Some(r) if !r.finished => l.pick("テスト中…", "Testing…").into(),
            Some(r) if r.passed() => l.pick("すべて成功しました。", "Every step passed.").into(),
            Some(_) => l
                .pick(
                    "失敗した段階があります。『?』で意味と対処を確認してください。",
                    "A step failed. Its ? says what it means and how to fix it.",
                )
                .into(),
        })
    };
    view! {
        <Window id="conn-test" ja="接続テスト" en="Connection test" help="conn-test">
            <FrameHint
                ja="入力中の設定でサーバに接続してみます。登録・反映はせず、メールの削除もしません。"
                en="Tries the settings on the screen against the servers. Nothing is saved or applied, and no mail is deleted."
            />
            <div class="check-row">
                <input type="checkbox" id="conn-test-mail" data-testid="conn-test-mail"
                    prop:checked=move || send_mail.get()
                    on:change=move |ev| send_mail.set(event_target_checked(&ev)) />
                <label for="conn-test-mail">{move || lang.get().pick(
                    "テストメールを 8.自分のメールアドレス名 へ送る",
                    "Send a test mail to 8. Own e-mail address",
                )}</label>
            </div>
            <div class="button-row">
                <button type="button" class="btn" data-testid="conn-test-start"
                    disabled=move || running() || !ui.model.with(|m| m.can_change())
                    on:click=start>
                    {move || lang.get().pick("接続テスト", "Connection test")}
                </button>
                <span class="save-outcome" data-testid="conn-test-summary" role="status">{summary}</span>
            </div>
            <div class="field-error" data-testid="conn-test-invalid" role="alert">
                {move || invalid.get().into_iter().map(|m| view! { <p>{m}</p> }).collect_view()}
            </div>
            <ol class="conn-steps" data-testid="conn-test-steps">
                {move || report.get().map(|r| r.steps.into_iter().map(|s| view! { <StepRow report=s /> }).collect_view())}
            </ol>
        </Window>
    }
}

/// One step: what it does, where it got, its code with `?`, and what the server said.
#[component]
fn StepRow(report: StepReport) -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    let (mark, state) = match &report.outcome {
        Outcome::Running => ("…", "running"),
        Outcome::Passed => ("✔", "passed"),
        Outcome::Skipped => ("–", "skipped"),
        Outcome::NotTried => ("·", "not-tried"),
        Outcome::Failed { .. } => ("✘", "failed"),
    };
    let outcome = report.outcome.clone();
    let failed = matches!(outcome, Outcome::Failed { .. });
    let outcome_text = move || {
        let l = lang.get();
        match &outcome {
            Outcome::Running => l.pick("実行中", "running"),
            Outcome::Passed => l.pick("成功", "passed"),
            Outcome::Skipped => l.pick("不要", "not needed"),
            Outcome::NotTried => l.pick("未実施", "not tried"),
            Outcome::Failed { .. } => l.pick("失敗", "failed"),
        }
    };
    let step = report.step;
    let entry = help_entry(&report);
    let code = report.code();
    let detail = report.detail.clone();
    let empty = detail.is_empty();
    let shown = (!empty).then_some(move || detail.text(lang.get()).to_string());
    view! {
        <li class=format!("conn-step {state}") data-testid="conn-step" data-step=format!("{step:?}") data-outcome=state>
            <span class="conn-mark" aria-hidden="true">{mark}</span>
            <span class="conn-label">{move || step.label(lang.get())}</span>
            <span class="conn-outcome">{outcome_text}</span>
            {code.map(|c| view! { <code class="status-display" class:error=failed data-testid="conn-step-code">{c}</code> })}
            <button type="button" class="btn btn-small help-q" data-testid="conn-step-help"
                title=move || lang.get().pick("この表示の意味と対処", "What this means and how to fix it")
                on:click=move |_| nav::go(ui.page, Page::Help { entry: Some(entry.clone()) })>"?"</button>
            {shown.map(|text| view! { <span class="conn-detail" data-testid="conn-step-detail"><code>{text}</code></span> })}
        </li>
    }
}
