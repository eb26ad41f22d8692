//! Every exercise with its state (未着手 / 実施中 / 完了 with the time taken) and a start button.

use leptos::prelude::*;
use shared::ClientMsg;
use shared::training::ExerciseState;

use crate::use_ui;

/// The list of exercises.
#[component]
pub fn ExerciseList() -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    let items = move || {
        ui.model.with(|m| {
            m.exercises
                .iter()
                .map(|e| {
                    let state = m
                        .training
                        .as_ref()
                        .map_or(ExerciseState::NotStarted, |t| t.state_of(&e.id));
                    (e.id.clone(), e.order, e.title.clone(), state)
                })
                .collect::<Vec<_>>()
        })
    };
    view! {
        <ol class="exercise-list" data-testid="exercise-list">
            <For each=items key=|item| (item.0.clone(), item.3) let:item>
                {
                    let (id, order, title, state) = item;
                    let start = id.clone();
                    let kind = match state {
                        ExerciseState::NotStarted => "not-started",
                        ExerciseState::InProgress => "in-progress",
                        ExerciseState::Done { .. } => "done",
                    };
                    view! {
                        <li class="exercise-item" data-testid=format!("exercise-{id}")
                            data-state=kind>
                            <span class="exercise-no">{format!("{order}.")}</span>
                            <span class="exercise-title">{move || title.get(lang.get()).to_string()}</span>
                            <span class="tag" data-testid=format!("exercise-state-{id}")>
                                {move || state.label(lang.get())}
                            </span>
                            <button type="button" class="btn btn-small"
                                data-testid=format!("exercise-start-{id}")
                                disabled=move || !ui.model.with(|m| m.can_change())
                                on:click=move |_| {
                                    ui.model.update(|m| m.clear_error());
                                    ui.link.send(&ClientMsg::StartExercise { id: start.clone() });
                                }>
                                {move || lang.get().pick("開始", "Start")}
                            </button>
                        </li>
                    }
                }
            </For>
        </ol>
    }
}
