//! 「Eメール接続環境設定」 (システム設定 → 2.Eメール環境): frame (1) account and servers (5–10),
//! frame (2) authentication (11, 12), frame (3) the live connection state, and our fields 1–4.
//! 登録 checks the form with the same validation the back end runs, then sends it; the password
//! input is cleared as soon as it is sent and never filled from the back end.

use leptos::prelude::*;
use shared::ClientMsg;
use shared::settings::{Field, FieldError, Security};

use crate::components::{
    ConnectionTest, FieldErrors, FieldRow, Kind, MailLangRow, ScreenBar, StatusFrame, Window,
};
use crate::form::Draft;
use crate::nav::{self, Page};
use crate::use_ui;

/// Reads and writes one text input's part of the [`Draft`].
struct Access(fn(&Draft) -> String, fn(&mut Draft, String));

/// What the last 登録 led to, for the line beside the button.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Idle,
    Waiting,
    Saved,
    Invalid(usize),
}

/// The settings screen.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    let draft = RwSignal::new(Draft::default());
    let local_errors = RwSignal::new(Vec::<FieldError>::new());
    let outcome = RwSignal::new(Outcome::Idle);

    // Fill the form from the saved settings, and again whenever they change.
    let pending = Memo::new(move |_| {
        ui.model
            .with(|m| m.settings.as_ref().map(|s| s.pending.clone()))
    });
    Effect::new(move |_| {
        if let Some(saved) = pending.get() {
            draft.set(Draft::from_settings(&saved));
            local_errors.set(Vec::new());
        }
    });
    // A save is answered by Settings (accepted) or SettingsRejected.
    let answered = Memo::new(move |_| ui.model.with(|m| (m.settings_seq, m.settings_errors.len())));
    Effect::new(move |previous: Option<(u64, usize)>| {
        let (seq, rejected) = answered.get();
        if outcome.get_untracked() == Outcome::Waiting {
            if previous.is_some_and(|(before, _)| before != seq) {
                outcome.set(Outcome::Saved);
            } else if rejected > 0 {
                outcome.set(Outcome::Invalid(rejected));
            }
        }
        (seq, rejected)
    });

    let errors = Signal::derive(move || {
        let local = local_errors.get();
        if local.is_empty() {
            ui.model.with(|m| m.settings_errors.clone())
        } else {
            local
        }
    });
    let password_set = move || pending.with(|p| p.as_ref().is_some_and(|p| p.password_set));
    let restart_needed = move || {
        ui.model
            .with(|m| m.settings.as_ref().is_some_and(|s| s.restart_needed()))
    };

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match draft.with_untracked(|d| d.to_save(password_set())) {
            Err(found) => {
                outcome.set(Outcome::Invalid(found.len()));
                local_errors.set(found);
            }
            Ok((settings, password)) => {
                local_errors.set(Vec::new());
                ui.model.update(|m| m.settings_errors.clear());
                ui.link
                    .send(&ClientMsg::SaveSettings { settings, password });
                // The password leaves the page with this message and nowhere else.
                draft.update(|d| d.password.clear());
                outcome.set(Outcome::Waiting);
            }
        }
    };

    let text = |d: fn(&Draft) -> String, s: fn(&mut Draft, String)| Access(d, s);
    let row = move |field: Field, kind: Kind, Access(get, set): Access| {
        view! { <FieldRow field kind draft get set errors /> }
    };
    let password_note = Signal::derive(move || {
        let l = lang.get();
        if password_set() {
            l.pick(
                "設定済み（空欄のまま登録すると変更しません）",
                "set (leave empty to keep it)",
            )
            .to_string()
        } else {
            l.pick("未設定", "not set").to_string()
        }
    });
    let checkbox = move |field: Field, get: fn(&Draft) -> bool, set: fn(&mut Draft, bool)| {
        let id = crate::components::field_row::input_id(field);
        view! {
            <div class="check-row" data-testid=format!("row-{}", field.number())>
                <input
                    type="checkbox"
                    id=id.clone()
                    prop:checked=move || draft.with(get)
                    on:change=move |ev| draft.update(|d| set(d, event_target_checked(&ev)))
                />
                <label for=id>{move || field.label(lang.get())}</label>
                <FieldErrors field errors />
            </div>
        }
    };
    let security =
        move |field: Field, get: fn(&Draft) -> Security, set: fn(&mut Draft, Security)| {
            view! { <SecurityRow field draft get set errors /> }
        };
    let outcome_text = move || {
        let l = lang.get();
        match outcome.get() {
            Outcome::Idle => String::new(),
            Outcome::Waiting => l.pick("登録中…", "Saving…").into(),
            Outcome::Saved => l
                .pick(
                    "登録しました。RST で反映されます。",
                    "Saved. RST applies it.",
                )
                .into(),
            Outcome::Invalid(n) => match l {
                shared::Lang::Ja => format!("入力に誤りがあります（{n} 件）。登録していません。"),
                shared::Lang::En => format!("{n} field(s) need fixing. Nothing was saved."),
            },
        }
    };

    view! {
        <div class="screen" data-testid="settings-screen">
            <ScreenBar
                ja="Eメール接続環境設定"
                en="E-mail connection settings"
                path_ja="メインメニュー → システム設定 → 2.Eメール環境"
                path_en="Main menu → System settings → 2. E-mail environment"
            />
            <Show when=restart_needed>
                <div class="notice" data-testid="restart-needed" role="status">
                    <span>{move || lang.get().pick(
                        "登録した設定はまだ使われていません。GUI呼出コンソールで RST（再起動）すると反映されます。",
                        "The saved settings are not in use yet. Restart with RST on the GUI console to apply them.",
                    )}</span>
                    <button type="button" class="btn btn-small" on:click=move |_| nav::go(ui.page, Page::Console)>
                        {move || lang.get().pick("GUI呼出コンソールへ", "Go to the GUI console")}
                    </button>
                </div>
            </Show>
            <form class="frames" on:submit=save novalidate=true>
                <datalist id="smtp-services">
                    <option value="smtp"></option>
                    <option value="submission"></option>
                    <option value="smtps"></option>
                </datalist>
                <Window id="frame-1" ja="(1) アカウントとサーバ" en="(1) Account and servers" help="fields">
                    {row(Field::SmtpService, Kind::Text, text(|d| d.smtp_service.clone(), |d, v| d.smtp_service = v))}
                    {row(Field::PopServer, Kind::Text, text(|d| d.pop_server.clone(), |d, v| d.pop_server = v))}
                    {row(Field::SmtpServer, Kind::Text, text(|d| d.smtp_server.clone(), |d, v| d.smtp_server = v))}
                    {row(Field::Address, Kind::Text, text(|d| d.address.clone(), |d, v| d.address = v))}
                    {row(Field::User, Kind::Text, text(|d| d.user.clone(), |d, v| d.user = v))}
                    <FieldRow
                        field=Field::Password
                        kind=Kind::Password
                        draft
                        get=|d| d.password.clone()
                        set=|d, v| d.password = v
                        errors
                        note=password_note
                    />
                </Window>
                <Window id="frame-2" ja="(2) 認証方式と暗号化" en="(2) Authentication and encryption" help="auth">
                    <p class="frame-hint">{move || lang.get().pick(
                        "通常は 11.PopBeforeSmtp。サーバがログイン認証を求めるなら 12.SmtpAuthLogin。",
                        "Usually 11. PopBeforeSmtp; 12. SmtpAuthLogin when the server requires login authentication.",
                    )}</p>
                    {checkbox(Field::PopBeforeSmtp, |d| d.pop_before_smtp, |d, v| d.pop_before_smtp = v)}
                    {checkbox(Field::SmtpAuthLogin, |d| d.smtp_auth_login, |d, v| d.smtp_auth_login = v)}
                    {security(Field::PopSecurity, |d| d.pop_security, |d, v| d.pop_security = v)}
                    {security(Field::SmtpSecurity, |d| d.smtp_security, |d, v| d.smtp_security = v)}
                </Window>
                <Window id="frame-3" ja="(3) メールサーバとの接続状態" en="(3) Connection to the mail server" help="status">
                    <StatusFrame />
                </Window>
                <Window id="frame-ours" ja="1〜4 受信とコマンド（本シミュレータの追加項目）" en="1–4 Receiving and commands (this simulator's additions)" help="interval">
                    {row(Field::ReceiveInterval, Kind::Number, text(|d| d.interval.clone(), |d, v| d.interval = v))}
                    {row(Field::AlarmRecipients, Kind::List, text(|d| d.alarm_recipients.clone(), |d, v| d.alarm_recipients = v))}
                    {row(Field::AllowedSenders, Kind::List, text(|d| d.allowed_senders.clone(), |d, v| d.allowed_senders = v))}
                    {row(Field::CommandPin, Kind::Text, text(|d| d.pin.clone(), |d, v| d.pin = v))}
                    <MailLangRow draft />
                </Window>
                <div class="save-bar">
                    <button
                        type="submit"
                        class="btn btn-primary"
                        data-testid="save"
                        disabled=move || !ui.model.with(|m| m.is_live())
                    >
                        {move || lang.get().pick("登録", "Save")}
                    </button>
                    <span class="save-outcome" data-testid="save-outcome" role="status">{outcome_text}</span>
                </div>
                <ConnectionTest draft password_set=Signal::derive(password_set) />
            </form>
        </div>
    }
}

/// 13. or 14.: how a connection is secured, as a `<select>` with its numbered label and errors.
#[component]
fn SecurityRow(
    field: Field,
    draft: RwSignal<Draft>,
    get: fn(&Draft) -> Security,
    set: fn(&mut Draft, Security),
    errors: Signal<Vec<FieldError>>,
) -> impl IntoView {
    let lang = use_ui().lang;
    let id = crate::components::field_row::input_id(field);
    let invalid = move || errors.with(|all| all.iter().any(|e| e.field == field));
    let options = move || {
        Security::ALL
            .iter()
            .map(|choice| {
                let choice = *choice;
                view! {
                    <option value=choice.value() selected=move || draft.with(get) == choice>
                        {move || choice.label(lang.get())}
                    </option>
                }
            })
            .collect_view()
    };
    view! {
        <div class="field-row" class:invalid=invalid data-testid=format!("row-{}", field.number())>
            <label for=id.clone()>
                {move || field.label(lang.get())}
                <span class="tag ours">{move || lang.get().pick("追加", "ours")}</span>
            </label>
            <div class="field-input">
                <select
                    id=id.clone()
                    aria-invalid=move || invalid().to_string()
                    aria-describedby=format!("{id}-error")
                    prop:value=move || draft.with(get).value()
                    on:change=move |ev| {
                        if let Some(choice) = Security::from_value(&event_target_value(&ev)) {
                            draft.update(|d| set(d, choice));
                        }
                    }
                >
                    {options}
                </select>
                <FieldErrors field errors />
            </div>
        </div>
    }
}
