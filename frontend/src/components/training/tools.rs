//! The panel's tools: reset the whole simulation, download the trainee's record (JSON Lines),
//! and the instructor switch that unlocks the ISP panel (locked by an exercise in progress; not
//! shown in a class, whose ISP the instructor runs from the instructor's page).

use leptos::prelude::*;
use shared::ClientMsg;
use wasm_bindgen::JsCast;

use crate::use_ui;

/// Reset, record, instructor.
#[component]
pub fn Tools() -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    let in_progress = move || {
        ui.model
            .with(|m| m.training.as_ref().is_some_and(|t| t.isp_locked()))
    };
    let instructor = move || {
        ui.model
            .with(|m| m.training.as_ref().is_some_and(|t| t.instructor))
    };
    let record_len = move || {
        ui.model
            .with(|m| m.training.as_ref().map_or(0, |t| t.record_len))
    };
    // The record arrives as a message; saving it as a file is the outside world.
    let asked = StoredValue::new(0u64);
    Effect::new(move || {
        let record = ui.model.with(|m| m.record.clone());
        if let Some((count, text)) = record
            && count > asked.get_value()
        {
            asked.set_value(count);
            save_file("karacrix-training-record.jsonl", &text);
        }
    });
    let outcome = move || {
        let l = lang.get();
        ui.model.with(|m| m.refusal(l))
    };
    view! {
        <div class="training-tools">
            <p class="record-line">
                {move || lang.get().pick("研修の記録: ", "Trainee's record: ")}
                <span data-testid="record-len">{record_len}</span>
                {move || lang.get().pick(" 件", " entries")}
                <button type="button" class="btn btn-small" data-testid="record-download"
                    on:click=move |_| ui.link.send(&ClientMsg::GetRecord)>
                    {move || lang.get().pick("記録をダウンロード（JSON Lines）", "Download the record (JSON Lines)")}
                </button>
            </p>
            // In a class the instructor runs the ISP from the instructor's page; no switch here.
            <Show when=move || !ui.model.with(|m| m.isp_is_instructors())>
            <label class="instructor-switch">
                <input type="checkbox" data-testid="instructor-switch"
                    prop:checked=instructor
                    disabled=in_progress
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        ui.link.send(&ClientMsg::SetInstructor { on });
                    } />
                {move || lang.get().pick(
                    "講師モード（ISP の設定を変更できる。課題の実施中は固定）",
                    "Instructor (may change the ISP; locked during an exercise)",
                )}
            </label>
            </Show>
            <button type="button" class="btn btn-small" data-testid="reset-simulation"
                disabled=move || !ui.model.with(|m| m.can_change())
                on:click=move |_| {
                    ui.model.update(|m| m.clear_error());
                    ui.link.send(&ClientMsg::ResetSimulation);
                }>
                {move || lang.get().pick("シミュレーション全体をリセット", "Reset the whole simulation")}
            </button>
            {move || outcome().map(|why| view! {
                <p class="error" role="alert" data-testid="training-error">{why}</p>
            })}
        </div>
    }
}

/// Offers `text` as a file download, as a link to a Blob would.
pub fn save_file(name: &str, text: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/jsonl");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Ok(link) = document.create_element("a")
        && let Ok(link) = link.dyn_into::<web_sys::HtmlAnchorElement>()
    {
        link.set_href(&url);
        link.set_download(name);
        link.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}
