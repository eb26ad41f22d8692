//! The class's ISP: in a class the instructor runs the sandbox ISP, so its policies and faults
//! are set here, with the simulator's own policy form, for every trainee of the chosen class.

use leptos::prelude::*;
use shared::classroom::InstructorMsg;
use shared::sandbox::SandboxPolicy;

use super::use_instructor;
use crate::model::LinkState;
use crate::pages::sandbox::policy::PolicyForm;
use crate::policy_form::{BadNumber, PolicyDraft};
use crate::use_lang;

/// The ISP policy form and the class it goes to.
#[component]
pub fn ClassIsp() -> impl IntoView {
    let lang = use_lang();
    let instructor = use_instructor();
    let model = instructor.model;
    let classes = move || model.with(|m| m.classes.clone());
    let chosen = RwSignal::new(String::new());
    let target = move || {
        let current = chosen.get();
        if current.is_empty() {
            classes().first().cloned().unwrap_or_default()
        } else {
            current
        }
    };
    let draft = RwSignal::new(PolicyDraft::from_policy(&SandboxPolicy::default()));
    let bad = RwSignal::new(None::<BadNumber>);
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match draft.with_untracked(PolicyDraft::to_policy) {
            Err(why) => bad.set(Some(why)),
            Ok(policy) => {
                bad.set(None);
                instructor.link.send(&InstructorMsg::PushPolicy {
                    class: target(),
                    policy,
                });
            }
        }
    };
    // How it went shows in the page's outcome line; only a number typed wrong is said here.
    let message = Signal::derive(move || {
        bad.get()
            .map(|b| ("error", b.message(lang.get()).to_string()))
    });
    let can_apply =
        Signal::derive(move || model.with(|m| m.link == LinkState::Open) && !target().is_empty());
    view! {
        <section class="class-isp" data-testid="class-isp">
            <h2>{move || lang.get().pick("クラスの ISP（サンドボックス）", "The class's ISP (sandbox)")}</h2>
            <p class="field-hint">{move || lang.get().pick(
                "クラスでは ISP は講師が運用します。ここで「適用」すると、選んだクラスの全員の ISP に同じポリシーと障害が設定されます（研修生の画面からは変更できません）。",
                "In a class the instructor runs the ISP. Apply sets these policies and faults on the ISP of everyone in the chosen class (trainees cannot change them).",
            )}</p>
            <div class="control">
                <label for="isp-class">{move || lang.get().pick("対象クラス", "Class")}</label>
                <select id="isp-class" data-testid="isp-class"
                    prop:value=target
                    on:change=move |ev| chosen.set(event_target_value(&ev))>
                    {move || classes().into_iter().map(|class| {
                        let is_target = class.clone();
                        let label = class.clone();
                        view! { <option value=class selected=move || target() == is_target>{label}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div class="frames">
                <PolicyForm draft apply message can_apply />
            </div>
        </section>
    }
}
