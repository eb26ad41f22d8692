//! The training panel beside every screen: the exercise in progress (goal, account notice,
//! hints into the help, each step met or what is missing), the list of exercises with their
//! state, and the tools (reset, the trainee's record, the instructor switch).

pub mod current;
pub mod list;
pub mod notice;
pub mod tools;

use leptos::prelude::*;

use crate::use_ui;

/// The side panel.
#[component]
pub fn TrainingPanel() -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    let has_training = move || ui.model.with(|m| m.training.is_some());
    let has_current = move || ui.model.with(|m| m.current_exercise().is_some());
    // The list is open by itself only while no exercise is on.
    let list_open = RwSignal::new(false);
    view! {
        <Show when=has_training>
            <aside class="training-panel" data-testid="training-panel"
                aria-labelledby="training-title">
                <h2 class="window-title" id="training-title">
                    {move || lang.get().pick("研修", "Training")}
                </h2>
                <div class="window-body">
                    <Show when=has_current>
                        <current::CurrentExercise />
                    </Show>
                    <button type="button" class="btn btn-small" data-testid="exercise-list-toggle"
                        aria-expanded=move || list_open.get().to_string()
                        on:click=move |_| list_open.update(|open| *open = !*open)>
                        {move || lang.get().pick("研修課題の一覧", "Exercises")}
                    </button>
                    <Show when=move || list_open.get()>
                        <list::ExerciseList />
                    </Show>
                    <tools::Tools />
                </div>
            </aside>
        </Show>
    }
}
