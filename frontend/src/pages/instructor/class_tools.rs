//! What the instructor does to a whole class: start an exercise for everyone, and download the
//! class's records (every trainee's, as one JSON Lines file).

use leptos::prelude::*;
use shared::classroom::InstructorMsg;

use super::use_instructor;
use crate::components::training::tools::save_file;
use crate::model::LinkState;
use crate::use_lang;

/// The class's tools.
#[component]
pub fn ClassTools(class: String) -> impl IntoView {
    let lang = use_lang();
    let instructor = use_instructor();
    let model = instructor.model;
    let live = move || model.with(|m| m.link == LinkState::Open);
    let chosen = RwSignal::new(String::new());
    let exercises = move || {
        let l = lang.get();
        model.with(|m| {
            let mut list: Vec<(u32, String, String)> = m
                .exercises
                .iter()
                .map(|e| (e.order, e.id.clone(), e.title.get(l).to_string()))
                .collect();
            list.sort();
            list
        })
    };
    // The first exercise is chosen until the instructor picks another.
    let selected = move || {
        let current = chosen.get();
        if current.is_empty() {
            exercises().first().map(|e| e.1.clone()).unwrap_or_default()
        } else {
            current
        }
    };
    let push_class = class.clone();
    let push = move |_| {
        let exercise = selected();
        if !exercise.is_empty() {
            instructor.link.send(&InstructorMsg::PushExercise {
                class: push_class.clone(),
                exercise,
            });
        }
    };
    // The records arrive as a message; saving them as a file is the outside world.
    let saved = StoredValue::new(0u64);
    let mine = class.clone();
    Effect::new(move || {
        let records = model.with(|m| m.records.clone());
        if let Some((seq, for_class, text)) = records
            && seq > saved.get_value()
            && for_class == mine
        {
            saved.set_value(seq);
            save_file(&format!("karacrix-class-{for_class}-records.jsonl"), &text);
        }
    });
    let records_class = class.clone();
    let select_id = format!("push-exercise-{class}");
    view! {
        <div class="class-tools">
            <div class="control">
                <label for=select_id.clone()>{move || lang.get().pick("全員に開始する研修課題", "Exercise to start for everyone")}</label>
                <select id=select_id data-testid="push-exercise-select"
                    prop:value=selected
                    on:change=move |ev| chosen.set(event_target_value(&ev))>
                    {move || exercises().into_iter().map(|(order, id, title)| {
                        let is_chosen = id.clone();
                        view! {
                            <option value=id selected=move || selected() == is_chosen>
                                {format!("{order}. {title}")}
                            </option>
                        }
                    }).collect_view()}
                </select>
                <button type="button" class="btn btn-primary" data-testid="push-exercise"
                    disabled=move || !live() on:click=push>
                    {move || lang.get().pick("全員に開始", "Start for everyone")}
                </button>
                <span class="field-hint">{move || lang.get().pick(
                    "このクラスの全員が、選んだ課題を最初から始めます（実施中の課題は中断されます）。",
                    "Everyone in this class starts the chosen exercise from its start (an exercise in progress is dropped).",
                )}</span>
            </div>
            <div class="control">
                <button type="button" class="btn btn-small" data-testid="class-records"
                    disabled=move || !live()
                    on:click=move |_| instructor.link.send(&InstructorMsg::GetRecords { class: records_class.clone() })>
                    {move || lang.get().pick("クラスの記録をダウンロード（JSON Lines）", "Download the class's records (JSON Lines)")}
                </button>
                <span class="field-hint">{move || lang.get().pick(
                    "全員の操作と結果を 1 行 1 件で。各行に研修生の名前が入ります。",
                    "Every trainee's actions and their results, one per line, each with the trainee's name.",
                )}</span>
            </div>
        </div>
    }
}
