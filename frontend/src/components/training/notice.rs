//! ご契約内容のお知らせ: the account notice of the ISP, each item beside the field of
//! 「Eメール接続環境設定」 it goes into, as the manual's own list maps them (ユーザ名 → 9., …).

use leptos::prelude::*;
use shared::settings::Field;
use shared::training::{AccountNotice, NoticeAuth};

use crate::use_ui;

/// The notice as a table: item, value, field.
#[component]
pub fn Notice(notice: AccountNotice) -> impl IntoView {
    let lang = use_ui().lang;
    let auth = match notice.auth {
        NoticeAuth::None => ("不要", "none", None),
        NoticeAuth::PopBeforeSmtp => (
            "POP before SMTP",
            "POP before SMTP",
            Some(Field::PopBeforeSmtp),
        ),
        NoticeAuth::SmtpAuth => (
            "SMTP認証（ログイン）",
            "SMTP authentication (login)",
            Some(Field::SmtpAuthLogin),
        ),
    };
    let rows: Vec<(&str, &str, String, Option<Field>)> = vec![
        (
            "ユーザ名",
            "User name",
            notice.user.clone(),
            Some(Field::User),
        ),
        (
            "パスワード",
            "Password",
            notice.password.clone(),
            Some(Field::Password),
        ),
        (
            "メールアドレス",
            "E-mail address",
            notice.address.clone(),
            Some(Field::Address),
        ),
        (
            "POPサーバ名",
            "POP server",
            notice.pop_server.clone(),
            Some(Field::PopServer),
        ),
        (
            "SMTPサーバ名",
            "SMTP server",
            notice.smtp_server.clone(),
            Some(Field::SmtpServer),
        ),
        (
            "送信ポート（サービス名）",
            "Sending port (service)",
            format!("{} ({})", notice.smtp_port, notice.smtp_service),
            Some(Field::SmtpService),
        ),
        (
            "送信時の認証",
            "Authentication for sending",
            auth.0.into(),
            auth.2,
        ),
    ];
    let auth_en = auth.1;
    let remark = notice.remark.clone();
    view! {
        <table class="account-notice" data-testid="account-notice">
            <caption>{move || lang.get().pick("ご契約内容のお知らせ", "Account notice")}</caption>
            <thead>
                <tr>
                    <th scope="col">{move || lang.get().pick("項目", "Item")}</th>
                    <th scope="col">{move || lang.get().pick("内容", "Value")}</th>
                    <th scope="col">{move || lang.get().pick("入力する欄", "Goes into")}</th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|(ja, en, value, field)| {
                    let shown = if ja == "送信時の認証" {
                        let ja_value = value.clone();
                        Box::new(move || lang.get().pick(&ja_value, auth_en).to_string())
                            as Box<dyn Fn() -> String + Send + Sync>
                    } else {
                        Box::new(move || value.clone())
                    };
                    view! {
                        <tr>
                            <th scope="row">{move || lang.get().pick(ja, en)}</th>
                            <td><code>{shown}</code></td>
                            <td>{move || field.map(|f| f.label(lang.get())).unwrap_or_default()}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        {remark.map(|r| view! {
            <p class="notice-remark" data-testid="notice-remark">{move || r.get(lang.get()).to_string()}</p>
        })}
    }
}
