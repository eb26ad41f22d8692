//! The exercise on: its title and state, goal, the account notice, hints that open the `?`
//! help, and its steps — each met, or what is missing (the step, not the answer).

use leptos::prelude::*;
use shared::ClientMsg;
use shared::training::{Exercise, Progress};

use super::notice::Notice;
use crate::nav::{self, Page};
use crate::use_ui;

/// The current exercise.
#[component]
pub fn CurrentExercise() -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    let current = Memo::new(move |_| {
        ui.model.with(|m| {
            m.current_exercise()
                .map(|(e, p)| (e.clone(), p.clone(), notice_password(m)))
        })
    });
    move || {
        current.get().map(|(exercise, progress, password)| {
            let state = progress.state();
            let mut notice = exercise.notice.clone();
            notice.password = password;
            let title = exercise.title.clone();
            let goal = exercise.goal.clone();
            view! {
                <section class="current-exercise" data-testid="current-exercise"
                    data-exercise=exercise.id.clone()>
                    <h3>
                        <span data-testid="current-title">{move || title.get(lang.get()).to_string()}</span>
                        <span class="tag" data-testid="current-state"
                            data-done=matches!(state, shared::training::ExerciseState::Done { .. }).to_string()>
                            {move || state.label(lang.get())}
                        </span>
                    </h3>
                    <p class="exercise-goal" data-testid="exercise-goal">{move || goal.get(lang.get()).to_string()}</p>
                    <Steps exercise=exercise.clone() progress />
                    <Hints exercise=exercise.clone() />
                    <Notice notice />
                    <button type="button" class="btn btn-small" data-testid="reset-exercise"
                        disabled=move || !ui.model.with(|m| m.can_change())
                        on:click=move |_| {
                            ui.model.update(|m| m.clear_error());
                            ui.link.send(&ClientMsg::ResetExercise);
                        }>
                        {move || lang.get().pick("この課題を最初からやり直す", "Start this exercise over")}
                    </button>
                </section>
            }
        })
    }
}

fn notice_password(model: &crate::model::Model) -> String {
    model
        .training
        .as_ref()
        .and_then(|t| t.notice_password.clone())
        .unwrap_or_default()
}

/// The steps in order: met (✓) or, for the first one not met, what is missing.
#[component]
fn Steps(exercise: Exercise, progress: Progress) -> impl IntoView {
    let lang = use_ui().lang;
    let next = progress.next_step();
    let steps = exercise
        .checks
        .iter()
        .zip(&progress.steps)
        .enumerate()
        .map(|(i, (check, state))| {
            let met = state.met_at_ms.is_some();
            let step = check.step.clone();
            let missing = (next == Some(i)).then(|| check.missing.clone());
            view! {
                <li class="step" class:met=met data-testid=format!("step-{i}") data-met=met.to_string()>
                    <span class="step-mark" aria-hidden="true">{if met { "✓" } else { "•" }}</span>
                    <span>{move || step.get(lang.get()).to_string()}</span>
                    {missing.map(|m| view! {
                        <p class="step-missing" data-testid="step-missing" role="status">
                            {move || m.get(lang.get()).to_string()}
                        </p>
                    })}
                </li>
            }
        })
        .collect_view();
    view! {
        <ol class="steps" data-testid="steps" aria-label=move || lang.get().pick("確認項目", "Checks")>
            {steps}
        </ol>
    }
}

/// Hints, each with a button to its help entry.
#[component]
fn Hints(exercise: Exercise) -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    let hints = exercise
        .hints
        .into_iter()
        .enumerate()
        .map(|(i, hint)| {
            let text = hint.text.clone();
            let help = hint.help.clone();
            view! {
                <li>
                    {move || text.get(lang.get()).to_string()}
                    {help.map(|entry| view! {
                        <button type="button" class="btn btn-small help-q"
                            data-testid=format!("hint-help-{i}")
                            title=move || lang.get().pick("ヘルプを開く", "Open the help")
                            on:click=move |_| nav::go(ui.page, Page::Help { entry: Some(entry.clone()) })>
                            "?"
                        </button>
                    })}
                </li>
            }
        })
        .collect_view();
    view! {
        <details class="hints" data-testid="hints">
            <summary>{move || lang.get().pick("ヒント", "Hints")}</summary>
            <ul>{hints}</ul>
        </details>
    }
}
