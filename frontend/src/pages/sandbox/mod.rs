//! サンドボックスISP: where the simulated provider listens, its accounts, and its policies as
//! controls (OP25B, what each SMTP port requires, PopBeforeSmtp window, STARTTLS, faults).
//! 適用 sends the whole policy; the back end checks the ranges and answers with an error if one
//! is wrong. One component a window: [`info`] and [`policy`].

pub mod info;
pub mod policy;

use leptos::prelude::*;
use shared::ClientMsg;

use crate::components::ScreenBar;
use crate::policy_form::PolicyDraft;
use crate::use_ui;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Idle,
    Waiting,
    Applied,
}

/// The ISP panel.
#[component]
pub fn SandboxPage() -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    let info = Memo::new(move |_| ui.model.with(|m| m.sandbox.clone()));
    let policy = Memo::new(move |_| info.with(|i| i.as_ref().map(|i| i.policy.clone())));
    let draft = RwSignal::new(PolicyDraft::from_policy(
        &shared::sandbox::SandboxPolicy::default(),
    ));
    let local_error = RwSignal::new(None::<crate::policy_form::BadNumber>);
    let outcome = RwSignal::new(Outcome::Idle);
    Effect::new(move |previous: Option<bool>| {
        if let Some(current) = policy.get() {
            draft.set(PolicyDraft::from_policy(&current));
        }
        if previous.is_some() && outcome.get_untracked() == Outcome::Waiting {
            outcome.set(Outcome::Applied);
        }
        true
    });
    let server_error = move || ui.model.with(|m| m.refusal(lang.get()));
    let message = move || {
        let l = lang.get();
        if let Some(bad) = local_error.get() {
            return Some(("error", bad.message(l).to_string()));
        }
        if let Some(why) = server_error() {
            return Some((
                "error",
                format!(
                    "{} {why}",
                    l.pick(
                        "ISP の設定は変更されませんでした:",
                        "The ISP was not changed:"
                    )
                ),
            ));
        }
        match outcome.get() {
            Outcome::Idle => None,
            Outcome::Waiting => Some(("", l.pick("適用中…", "Applying…").into())),
            Outcome::Applied => Some((
                "ok",
                l.pick(
                    "適用しました。新しい接続から有効です。",
                    "Applied; new connections use it.",
                )
                .into(),
            )),
        }
    };
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match draft.with_untracked(PolicyDraft::to_policy) {
            Err(bad) => local_error.set(Some(bad)),
            Ok(policy) => {
                local_error.set(None);
                ui.model.update(|m| m.clear_error());
                outcome.set(Outcome::Waiting);
                ui.link.send(&ClientMsg::SetSandboxPolicy { policy });
            }
        }
    };
    view! {
        <div class="screen" data-testid="isp-screen">
            <ScreenBar ja="サンドボックスISP" en="Sandbox ISP" help="isp" />
            <Show
                when=move || info.with(Option::is_some)
                fallback=move || view! {
                    <div class="notice" role="status">{move || lang.get().pick(
                        "サンドボックスISP は動いていません（または接続待ちです）。",
                        "The sandbox ISP is not running (or the page is still connecting).",
                    )}</div>
                }
            >
            <Show when=move || ui.model.with(|m| m.isp_locked() && !m.isp_is_instructors())>
                <div class="notice" role="status" data-testid="isp-locked">{move || lang.get().pick(
                    "この ISP の設定は講師のものです。研修課題の実施中は変更できません（講師モードを切っているときも同じです）。",
                    "These ISP settings are the instructor's: they cannot be changed during an exercise (nor with the instructor switch off).",
                )}</div>
            </Show>
            <div class="frames">
                <info::IspInfo info />
                <Show
                    when=move || !ui.model.with(|m| m.isp_is_instructors())
                    fallback=move || view! {
                        <div class="notice" role="status" data-testid="isp-instructors">{move || lang.get().pick(
                            "このクラスの ISP は講師が運用しています。ポリシーと障害は講師ページから設定されます（ここでは変更できません）。",
                            "In this class the instructor runs the ISP: its policies and faults are set from the instructor's page (not from here).",
                        )}</div>
                    }
                >
                    <policy::PolicyForm draft apply message=Signal::derive(message)
                        can_apply=Signal::derive(move || ui.model.with(|m| m.can_change() && !m.isp_locked())) />
                </Show>
            </div>
            </Show>
        </div>
    }
}
