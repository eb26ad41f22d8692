//! サンドボックスISP: where the simulated provider listens, its accounts, and its policies as
//! controls (OP25B, what each SMTP port requires, PopBeforeSmtp window, STARTTLS, faults).
//! 適用 sends the whole policy; the back end checks the ranges and answers with an error if one
//! is wrong.

use leptos::prelude::*;
use shared::ClientMsg;

use crate::components::{ChoiceSelect, ScreenBar, Window};
use crate::policy_form::PolicyDraft;
use crate::use_ui;

/// A number input of the panel.
fn text_input<G, S>(
    id: &'static str,
    ja: &'static str,
    en: &'static str,
    (get, set): (G, S),
    enabled: Signal<bool>,
) -> impl IntoView
where
    G: Fn() -> String + Copy + Send + Sync + 'static,
    S: Fn(String) + Copy + Send + Sync + 'static,
{
    let lang = use_ui().lang;
    view! {
        <div class="control">
            <label for=id>{move || lang.get().pick(ja, en)}</label>
            <input id=id data-testid=id type="text" inputmode="numeric" prop:value=get
                disabled=move || !enabled.get()
                on:input=move |ev| set(event_target_value(&ev)) />
        </div>
    }
}

/// A checkbox of the panel.
fn check<G, S>(
    id: &'static str,
    ja: &'static str,
    en: &'static str,
    (get, set): (G, S),
) -> impl IntoView
where
    G: Fn() -> bool + Copy + Send + Sync + 'static,
    S: Fn(bool) + Copy + Send + Sync + 'static,
{
    let lang = use_ui().lang;
    view! {
        <div class="control check">
            <input id=id data-testid=id type="checkbox" prop:checked=get
                on:change=move |ev| set(event_target_checked(&ev)) />
            <label for=id>{move || lang.get().pick(ja, en)}</label>
        </div>
    }
}

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
    // Accessors for the controls: read and change one part of the draft.
    macro_rules! part {
        ($field:ident) => {
            (
                move || draft.with(|d| d.$field.clone()),
                move |v| draft.update(|d| d.$field = v),
            )
        };
    }
    let (op25b_get, op25b_set) = part!(op25b);
    let (op25b_clients_get, op25b_clients_set) = part!(op25b_clients);
    let (smtp_get, smtp_set) = part!(smtp_requires);
    let (sub_get, sub_set) = part!(submission_requires);
    let (smtps_get, smtps_set) = part!(smtps_requires);
    let (tls_get, tls_set) = part!(starttls);
    let (stage_get, stage_set) = part!(smtp_error_stage);
    let (pop_get, pop_set) = part!(pop_error);
    let always = Signal::stored(true);
    let smtp_error_on = Signal::derive(move || draft.with(|d| d.smtp_error_on));
    let drop_on = Signal::derive(move || draft.with(|d| d.drop_on));

    view! {
        <div class="screen" data-testid="isp-screen">
            <ScreenBar ja="サンドボックスISP" en="Sandbox ISP" />
            <Show
                when=move || info.with(Option::is_some)
                fallback=move || view! {
                    <div class="notice" role="status">{move || lang.get().pick(
                        "サンドボックスISP は動いていません（または接続待ちです）。",
                        "The sandbox ISP is not running (or the page is still connecting).",
                    )}</div>
                }
            >
            <div class="frames">
                <Window id="isp-endpoints" ja="接続先" en="Endpoints">
                    <table class="fields">
                        <tbody>
                            {move || info.with(|i| i.as_ref().map(|i| i.endpoints.iter().map(|e| view! {
                                <tr>
                                    <th scope="row">{format!("{} ({})", e.service.name(), e.service.well_known_port())}</th>
                                    <td data-testid=format!("endpoint-{}", e.service.name())>{format!("{}:{}", e.address, e.port)}</td>
                                </tr>
                            }).collect_view()))}
                        </tbody>
                    </table>
                    <p class="frame-hint">{move || lang.get().pick(
                        "エンジンは mail.sandbox.test などの名前とサービス名（smtp = 25 など）をこれらの実ポートに読み替えます。普通のメールソフトからも接続できます。",
                        "The engine maps names such as mail.sandbox.test and service names (smtp = 25, …) onto these real ports. Ordinary mail clients can connect too.",
                    )}</p>
                </Window>
                <Window id="isp-accounts" ja="アカウント" en="Accounts">
                    <p>{move || lang.get().pick("ドメイン: ", "Domain: ")}<code data-testid="isp-domain">{move || info.with(|i| i.as_ref().map(|i| i.domain.clone()))}</code></p>
                    <ul class="plain account-list" data-testid="isp-account-list">
                        {move || info.with(|i| i.as_ref().map(|i| i.accounts.iter().map(|a| view! { <li><code>{a.clone()}</code></li> }).collect_view()))}
                    </ul>
                    <p class="frame-hint">{move || lang.get().pick(
                        "研修用パスワードは README に書かれています（画面には送られません）。",
                        "The training passwords are in the README (they are never sent to the page).",
                    )}</p>
                    <details>
                        <summary>{move || lang.get().pick("CA 証明書（PEM）", "CA certificate (PEM)")}</summary>
                        <pre class="pem">{move || info.with(|i| i.as_ref().map(|i| i.ca_pem.clone()))}</pre>
                    </details>
                </Window>
                <form class="window wide" data-testid="isp-policy" aria-labelledby="isp-policy-title" on:submit=apply novalidate=true>
                    <div class="window-title"><h2 id="isp-policy-title">{move || lang.get().pick("ポリシー", "Policies")}</h2></div>
                    <div class="window-body policy-grid">
                        <fieldset>
                            <legend>{move || lang.get().pick("送信ポート", "Sending ports")}</legend>
                            <ChoiceSelect id="policy-op25b" ja="OP25B（smtp = 25 番）" en="OP25B (smtp = port 25)" get=op25b_get set=op25b_set />
                            <ChoiceSelect id="policy-op25b-clients" ja="OP25B の対象（接続元アドレス）" en="OP25B blocks (by client address)" get=op25b_clients_get set=op25b_clients_set />
                            <ChoiceSelect id="policy-smtp" ja="smtp (25) が求めるもの" en="smtp (25) requires" get=smtp_get set=smtp_set />
                            <ChoiceSelect id="policy-submission" ja="submission (587) が求めるもの" en="submission (587) requires" get=sub_get set=sub_set />
                            <ChoiceSelect id="policy-smtps" ja="smtps (465) が求めるもの" en="smtps (465) requires" get=smtps_get set=smtps_set />
                            {text_input("policy-pbs-minutes", "PopBeforeSmtp の有効時間（分）", "PopBeforeSmtp window (minutes)", part!(pbs_minutes), always)}
                            <ChoiceSelect id="policy-starttls" ja="STARTTLS（smtp・submission）" en="STARTTLS (smtp, submission)" get=tls_get set=tls_set />
                        </fieldset>
                        <fieldset>
                            <legend>{move || lang.get().pick("障害の再現", "Faults")}</legend>
                            {check("fault-down", "全サービス停止（接続拒否）", "all services down (refused)", part!(down))}
                            {text_input("fault-slow-ms", "応答の遅延（ミリ秒）", "reply delay (ms)", part!(slow_ms), always)}
                            {check("fault-smtp-on", "SMTP エラーを返す", "answer an SMTP error", part!(smtp_error_on))}
                            <ChoiceSelect id="fault-smtp-stage" ja="SMTP エラーの段階" en="SMTP error at" get=stage_get set=stage_set enabled=smtp_error_on />
                            {text_input("fault-smtp-code", "SMTP エラーコード（4xx/5xx）", "SMTP error code (4xx/5xx)", part!(smtp_error_code), smtp_error_on)}
                            <ChoiceSelect id="fault-pop" ja="POP3 エラー（-ERR）の段階" en="POP3 error (-ERR) at" get=pop_get set=pop_set />
                            {check("fault-drop-on", "メッセージの途中で切断", "drop the connection mid-message", part!(drop_on))}
                            {text_input("fault-drop-bytes", "切断までのバイト数", "octets before dropping", part!(drop_bytes), drop_on)}
                        </fieldset>
                    </div>
                    <div class="save-bar">
                        <button type="submit" class="btn btn-primary" data-testid="apply-policy"
                            disabled=move || !ui.model.with(|m| m.is_live())>
                            {move || lang.get().pick("適用", "Apply")}
                        </button>
                        <span data-testid="policy-outcome" role="status"
                            class=move || format!("save-outcome {}", message().map_or("", |m| m.0))>
                            {move || message().map(|m| m.1)}
                        </span>
                    </div>
                </form>
            </div>
            </Show>
        </div>
    }
}
