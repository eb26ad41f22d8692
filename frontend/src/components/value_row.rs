//! A row of a read-only table: a label in the page's language and a live value.

use leptos::prelude::*;

use crate::use_ui;

/// One `<tr>`: the label (`ja`, `en`) and `value`, which tests find by `testid`.
pub fn value_row(
    ja: &'static str,
    en: &'static str,
    testid: &'static str,
    value: impl Fn() -> String + Send + Sync + 'static,
) -> impl IntoView {
    let lang = use_ui().lang;
    view! {
        <tr>
            <th scope="row">{move || lang.get().pick(ja, en)}</th>
            <td data-testid=testid>{value}</td>
        </tr>
    }
}
