//! Frame (1): the account and the servers, 5–10, under the manual's caution that mail read is
//! deleted (again under 6. when the POP server is a real one).

use leptos::prelude::*;
use shared::settings::Field;

use super::Form;
use crate::components::{FieldRow, HelpLink, Kind, Window};
use crate::help::real_pop_warning;
use crate::use_ui;

/// Frame (1).
#[component]
pub fn AccountFrame(form: Form, password_set: Signal<bool>) -> impl IntoView {
    let lang = use_ui().lang;
    let Form { draft, errors } = form;
    let password_note = Signal::derive(move || {
        let l = lang.get();
        if password_set.get() {
            l.pick(
                "設定済み（空欄のまま登録すると変更しません）",
                "set (leave empty to keep it)",
            )
            .to_string()
        } else {
            l.pick("未設定", "not set").to_string()
        }
    });
    let pop_warning = Signal::derive(move || {
        let l = lang.get();
        draft.with(|d| real_pop_warning(&d.pop_server, l).map(str::to_string))
    });
    view! {
        <datalist id="smtp-services">
            <option value="smtp"></option>
            <option value="submission"></option>
            <option value="smtps"></option>
        </datalist>
        <Window id="frame-1" ja="(1) アカウントとサーバ" en="(1) Account and servers" help="fields">
            <p class="caution" data-testid="caution-delete">
                {move || lang.get().pick(
                    "※ 受信したメールは、読み取った後メールサーバから削除され残りません。自分が使っているメールアカウントは使わず、このシステム専用の新しいアカウントを設定してください。",
                    "Note: every mail the system reads is deleted from the mail server afterwards. Do not use an account you use yourself; set up a new account dedicated to this system.",
                )}
                <HelpLink entry="account" about_ja="メールアカウントの用意" about_en="The mail account" inline=true />
            </p>
            {form.row(Field::SmtpService, Kind::Text, |d| d.smtp_service.clone(), |d, v| d.smtp_service = v, None)}
            {form.row(Field::PopServer, Kind::Text, |d| d.pop_server.clone(), |d, v| d.pop_server = v, Some(pop_warning))}
            {form.row(Field::SmtpServer, Kind::Text, |d| d.smtp_server.clone(), |d, v| d.smtp_server = v, None)}
            {form.row(Field::Address, Kind::Text, |d| d.address.clone(), |d, v| d.address = v, None)}
            {form.row(Field::User, Kind::Text, |d| d.user.clone(), |d, v| d.user = v, None)}
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
    }
}
