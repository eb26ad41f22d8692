//! One point's row of the points table: id, name (the plant's data, marked with its language),
//! type, live value, alarm, and the controls its kind allows.

use leptos::prelude::*;
use shared::points::PointSnapshot;

use super::Request;
use super::controls::point_controls;
use crate::use_ui;

/// One point's row: its live snapshot and the controls its kind allows.
#[component]
pub fn PointRow(id: String, last: RwSignal<Option<Request>>) -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    let snapshot = {
        let id = id.clone();
        Memo::new(move |_| {
            ui.model
                .with(|m| m.points.iter().find(|p| p.id == id).cloned())
        })
    };
    let read = move |f: fn(&PointSnapshot, shared::Lang) -> String| {
        move || {
            let l = lang.get();
            snapshot.with(|p| p.as_ref().map(|p| f(p, l)).unwrap_or_default())
        }
    };
    let in_alarm = move || snapshot.with(|p| p.as_ref().is_some_and(|p| p.alarm.is_some()));
    let kind = snapshot.with_untracked(|p| p.as_ref().map(|p| p.kind));
    let cell = move |ja: &'static str, en: &'static str| move || lang.get().pick(ja, en);

    let controls = point_controls(id.clone(), kind, snapshot, last);

    view! {
        <tr
            class:alarm=in_alarm
            data-testid=format!("point-{id}")
            data-alarm=move || in_alarm().to_string()
        >
            <th scope="row" data-label=cell("ID", "ID")><code>{id.clone()}</code></th>
            <td data-label=cell("名称", "Name") data-testid=format!("name-{id}")>
                // The plant's data: the English name on English screens when the points file
                // gives one; else the Japanese name, marked as such.
                <span lang=move || snapshot.with(|p| {
                    let english = lang.get() == shared::Lang::En && p.as_ref().is_some_and(|p| !p.name_en.is_empty());
                    if english { "en" } else { "ja" }
                })>{read(|p, l| p.display_name(l).to_string())}</span>
            </td>
            <td data-label=cell("種別", "Type")>
                {read(|p, l| format!("{} {}", p.kind.code(), p.kind.label(l)))}
            </td>
            <td class="point-value" data-label=cell("値", "Value") data-testid=format!("value-{id}")>
                {read(|p, _| p.value_text())}
            </td>
            <td data-label=cell("警報", "Alarm") data-testid=format!("alarm-{id}")>
                <span class="alarm-label" class:active=in_alarm>
                    {read(|p, l| {
                        p.alarm.map_or_else(|| l.pick("正常", "normal").to_string(), |a| a.label(l).to_string())
                    })}
                </span>
            </td>
            <td class="point-controls" data-label=cell("操作", "Operate")>{controls}</td>
        </tr>
    }
}
