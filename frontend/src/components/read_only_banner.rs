//! The banner of the instructor's read-only view of a trainee's simulation.

use leptos::prelude::*;

use crate::use_ui;

/// Says, above every screen, whose simulation this is and that nothing can be changed here.
#[component]
pub fn ReadOnlyBanner() -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    let watched = move || {
        ui.model.with(|m| {
            m.session.read_only.then(|| {
                m.session
                    .joined
                    .as_ref()
                    .map_or_else(String::new, |j| j.name.clone())
            })
        })
    };
    move || {
        watched().map(|name| {
            view! {
                <div class="read-only-banner" data-testid="read-only-banner" role="status">
                    {move || lang.get().pick(
                        &format!("閲覧専用 — 研修生 {name} の画面"),
                        &format!("Read-only view of trainee {name}"),
                    ).to_string()}
                </div>
            }
        })
    }
}
