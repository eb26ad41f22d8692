//! A class's trainees as a table: name, exercise with its state and time, the last status code,
//! error count, open pages, whether in memory; and per trainee 閲覧 (read-only, new tab) and
//! リセット (after a confirm).

use leptos::prelude::*;
use shared::classroom::{InstructorMsg, TraineeRow};

use super::model::{in_error, state_cell};
use super::use_instructor;
use crate::address::watch_address;
use crate::use_lang;

/// The class's error count, live.
#[component]
pub fn ErrorSummary(class: String) -> impl IntoView {
    let lang = use_lang();
    let model = use_instructor().model;
    let count = {
        let class = class.clone();
        Memo::new(move |_| model.with(|m| m.rows(&class).len()))
    };
    let errors = Memo::new(move |_| model.with(|m| m.errors(&class)));
    view! {
        <p class="class-summary" data-testid="class-summary">
            {move || lang.get().pick("研修生 ", "Trainees: ")}
            <strong data-testid="class-count">{count}</strong>
            {move || lang.get().pick(" 人 ・ エラー状態になった回数 ", " · error states seen: ")}
            <strong data-testid="class-errors">{move || errors.get().0}</strong>
            {move || lang.get().pick(" 回 ・ いまエラー中 ", " · in error now: ")}
            <strong data-testid="class-errors-now" class:error-count={move || errors.get().1 > 0}>
                {move || errors.get().1}
            </strong>
            {move || lang.get().pick(" 人", "")}
        </p>
    }
}

/// The table of one class.
#[component]
pub fn TraineeTable(class: String) -> impl IntoView {
    let lang = use_lang();
    let model = use_instructor().model;
    let rows = Memo::new(move |_| model.with(|m| m.rows(&class)));
    let head = move |ja: &'static str, en: &'static str| view! { <th scope="col">{move || lang.get().pick(ja, en)}</th> };
    view! {
        <Show
            when=move || rows.with(|r| !r.is_empty())
            fallback=move || view! {
                <p class="notice" data-testid="class-empty">{move || lang.get().pick(
                    "まだ誰も参加していません。研修生にはクラスコードと、このサーバのアドレスを伝えてください。",
                    "Nobody has joined yet. Give the trainees the class code and this server's address.",
                )}</p>
            }
        >
            <table class="fields trainee-table" data-testid="trainee-table">
                <thead><tr>
                    {head("名前", "Name")}
                    {head("研修課題", "Exercise")}
                    {head("状態（時間）", "State (time)")}
                    {head("最後の状態コード", "Last status code")}
                    {head("エラー回数", "Errors")}
                    {head("開いている画面", "Open pages")}
                    {head("メモリ上", "In memory")}
                    {head("操作", "Actions")}
                </tr></thead>
                <tbody>
                    <For each=move || rows.get() key=|row| format!("{row:?}") let:row>
                        <Row row />
                    </For>
                </tbody>
            </table>
        </Show>
    }
}

/// One trainee.
#[component]
fn Row(row: TraineeRow) -> impl IntoView {
    let lang = use_lang();
    let instructor = use_instructor();
    let model = instructor.model;
    let exercise = {
        let id = row.exercise.as_ref().map(|(id, _)| id.clone());
        move || {
            let l = lang.get();
            id.as_ref().map_or_else(
                || "—".to_string(),
                |id| model.with(|m| m.exercise_title(id, l)),
            )
        }
    };
    let state = {
        let row = row.clone();
        Memo::new(move |_| state_cell(&row, instructor.now_ms.get(), lang.get()))
    };
    let erring = in_error(&row);
    let resident = row.resident;
    let name = row.name.clone();
    let watch_id = row.id.clone();
    let reset_id = row.id.clone();
    let watch = move |_| {
        let key = instructor.key.get_value();
        let address = watch_address(&watch_id, &key);
        if let Some(window) = web_sys::window() {
            let _ = window.open_with_url_and_target(&address, "_blank");
        }
    };
    let reset = move |_| {
        let question = lang.get_untracked().pick(
            &format!("研修生 {name} のシミュレーションを最初に戻します（記録は残ります）。よろしいですか？"),
            &format!("Return trainee {name}'s simulation to the start (the record is kept)?"),
        ).to_string();
        let confirmed = web_sys::window()
            .and_then(|w| w.confirm_with_message(&question).ok())
            .unwrap_or(false);
        if confirmed {
            instructor.link.send(&InstructorMsg::ResetTrainee {
                id: reset_id.clone(),
            });
        }
    };
    view! {
        <tr data-testid=format!("trainee-{}", row.name) data-id=row.id.clone()>
            <td data-testid="trainee-name">{row.name.clone()}</td>
            <td data-testid="trainee-exercise">{exercise}</td>
            <td data-testid="trainee-state" data-state=move || state.get().0>{move || state.get().1}</td>
            <td data-testid="trainee-status" class:error-count=erring>
                <code>{row.last_status.clone().unwrap_or_else(|| "—".into())}</code>
            </td>
            <td data-testid="trainee-errors">{row.errors}</td>
            <td data-testid="trainee-pages">{row.pages}</td>
            <td data-testid="trainee-resident" data-resident=resident.to_string()>
                {move || if resident { lang.get().pick("はい", "yes") } else { lang.get().pick("いいえ（退避中）", "no (evicted)") }}
            </td>
            <td class="trainee-actions">
                <button type="button" class="btn btn-small" data-testid="trainee-watch" on:click=watch
                    title=move || lang.get().pick("研修生の画面を読み取り専用で新しいタブに開く", "Open the trainee's screens read-only in a new tab")>
                    {move || lang.get().pick("閲覧", "View")}
                </button>
                <button type="button" class="btn btn-small" data-testid="trainee-reset" on:click=reset
                    title=move || lang.get().pick("この研修生のシミュレーションを最初に戻す", "Return this trainee's simulation to the start")>
                    {move || lang.get().pick("リセット", "Reset")}
                </button>
            </td>
        </tr>
    }
}
