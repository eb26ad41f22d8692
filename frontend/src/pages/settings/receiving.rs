//! Our fields 1–4 (receive interval, alarm recipients, allowed senders, PIN), with the manual's
//! advice on the interval under it as it is typed: a warning below 10 minutes (allowed), and
//! what 0 means; and under 4., while it is empty with a real POP server, that SET is refused.

use leptos::prelude::*;
use shared::settings::{Field, pin_caution};

use super::Form;
use crate::components::{Kind, MailLangRow, Window};
use crate::help::{interval_note, interval_warning};
use crate::use_ui;

/// The window of fields 1–4.
#[component]
pub fn ReceivingFrame(form: Form) -> impl IntoView {
    let lang = use_ui().lang;
    let draft = form.draft;
    let advice = Signal::derive(move || {
        let l = lang.get();
        draft.with(|d| {
            interval_warning(&d.interval, l)
                .or_else(|| interval_note(&d.interval, l))
                .map(str::to_string)
        })
    });
    let pin_advice = Signal::derive(move || {
        let l = lang.get();
        draft.with(|d| pin_caution(&d.pop_server, &d.pin, l).map(str::to_string))
    });
    view! {
        <Window id="frame-ours" ja="1〜4 受信とコマンド（本シミュレータの追加）" en="1–4 Receiving and commands (this simulator's additions)" help="interval">
            {form.row(Field::ReceiveInterval, Kind::Number, |d| d.interval.clone(), |d, v| d.interval = v, Some(advice))}
            {form.row(Field::AlarmRecipients, Kind::List, |d| d.alarm_recipients.clone(), |d, v| d.alarm_recipients = v, None)}
            {form.row(Field::AllowedSenders, Kind::List, |d| d.allowed_senders.clone(), |d, v| d.allowed_senders = v, None)}
            {form.row(Field::CommandPin, Kind::Text, |d| d.pin.clone(), |d, v| d.pin = v, Some(pin_advice))}
            <MailLangRow draft />
        </Window>
    }
}
