//! The setting for the language of the replies and alarm mails the system writes (ours,
//! unnumbered): Japanese by default, as the original.

use leptos::prelude::*;
use shared::Lang;

use crate::components::{HelpLink, OursTag};
use crate::form::Draft;
use crate::use_ui;

/// A choice of Japanese / English bound to the form, with its `?` beside the label in the blue
/// of every other field's.
#[component]
pub fn MailLangRow(
    /// The settings form.
    draft: RwSignal<Draft>,
) -> impl IntoView {
    let lang = use_ui().lang;
    // The options are named in the screen's language, like every other label.
    let option = move |value: Lang, ja: &'static str, en: &'static str| {
        view! {
            <option value=value.tag() selected=move || draft.with(|d| d.mail_lang == value)>
                {move || lang.get().pick(ja, en)}
            </option>
        }
    };
    view! {
        <div class="field-row" data-testid="row-mail-lang">
            <div class="field-label">
                <label for="field-mail-lang">
                    {move || lang.get().pick("返信・警報メールの言語", "Language of replies and alarm mails")}
                    <OursTag />
                </label>
                <HelpLink entry="mail-lang" about_ja="返信・警報メールの言語" about_en="Language of replies and alarm mails" inline=true />
            </div>
            <div class="field-input">
                <select id="field-mail-lang" data-testid="field-mail-lang" on:change=move |ev| {
                    let chosen = if event_target_value(&ev) == Lang::En.tag() { Lang::En } else { Lang::Ja };
                    draft.update(|d| d.mail_lang = chosen);
                }>
                    {option(Lang::Ja, "日本語", "Japanese")}
                    {option(Lang::En, "英語", "English")}
                </select>
            </div>
        </div>
    }
}
