//! The ISP's policies as a form: OP25B, what each SMTP port requires, the PopBeforeSmtp window,
//! STARTTLS, and the faults. 適用 sends the whole policy. The instructor's page uses it too, for
//! a class's ISP.

use leptos::prelude::*;

use crate::components::ChoiceSelect;
use crate::policy_form::PolicyDraft;
use crate::use_lang;

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
    let lang = use_lang();
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
    let lang = use_lang();
    view! {
        <div class="control check">
            <input id=id data-testid=id type="checkbox" prop:checked=get
                on:change=move |ev| set(event_target_checked(&ev)) />
            <label for=id>{move || lang.get().pick(ja, en)}</label>
        </div>
    }
}

/// The policy form; `apply` sends it, `message` is how the last one went, `can_apply` enables
/// 適用.
#[component]
pub fn PolicyForm(
    draft: RwSignal<PolicyDraft>,
    apply: impl Fn(leptos::ev::SubmitEvent) + 'static,
    message: Signal<Option<(&'static str, String)>>,
    can_apply: Signal<bool>,
) -> impl IntoView {
    let lang = use_lang();
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
                    disabled=move || !can_apply.get()>
                    {move || lang.get().pick("適用", "Apply")}
                </button>
                <span data-testid="policy-outcome" role="status"
                    class=move || format!("save-outcome {}", message.get().map_or("", |m| m.0))>
                    {move || message.get().map(|m| m.1)}
                </span>
            </div>
        </form>
    }
}
