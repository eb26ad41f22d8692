//! 講師ページ (`/instructor#key=KEY`): every class this back end serves with its trainees
//! ([`table`]), what can be pushed to a whole class and its records ([`class_tools`]), and the
//! class's ISP ([`isp`]). The key comes from the address's fragment (never a query of the page)
//! and stays in the tab's session storage for reloads.

pub mod class_tools;
pub mod isp;
pub mod link;
pub mod model;
pub mod table;

use std::time::Duration;

use leptos::prelude::*;

use crate::components::{Brand, LangSwitch};
use crate::model::LinkState;
use crate::use_lang;
use link::ClassLink;
use model::{ClassModel, Outcome};

/// What the instructor's components reach through context.
#[derive(Clone, Copy)]
pub struct Instructor {
    /// The class state.
    pub model: RwSignal<ClassModel>,
    /// The socket.
    pub link: ClassLink,
    /// The key, for the read-only views it opens.
    pub key: StoredValue<String>,
    /// Now, in Unix ms, ticking every second for the times in progress.
    pub now_ms: RwSignal<u64>,
}

/// Reads the [`Instructor`] context.
pub fn use_instructor() -> Instructor {
    expect_context::<Instructor>()
}

/// The instructor's page.
#[component]
pub fn InstructorPage() -> impl IntoView {
    let lang = use_lang();
    let Some(key) = crate::address::instructor_key() else {
        crate::address::reload_when_a_key_arrives();
        return view! {
            <header class="titlebar"><Brand /><div class="titlebar-right"><LangSwitch /></div></header>
            <main class="instructor-page">
                <div class="notice error" role="alert" data-testid="instructor-no-key">{move || lang.get().pick(
                    "講師キーがありません。サーバが表示した講師ページのアドレス（…/instructor#key=…）を開いてください。",
                    "The instructor's key is missing. Open the instructor page address the server printed (…/instructor#key=…).",
                )}</div>
            </main>
        }
        .into_any();
    };
    let model = RwSignal::new(ClassModel::default());
    let now_ms = RwSignal::new(js_sys::Date::now() as u64);
    set_interval(
        move || now_ms.set(js_sys::Date::now() as u64),
        Duration::from_secs(1),
    );
    let context = Instructor {
        model,
        link: ClassLink::start(model, key.clone()),
        key: StoredValue::new(key),
        now_ms,
    };
    provide_context(context);
    let classes = move || model.with(|m| m.classes.clone());
    view! {
        <header class="titlebar">
            <Brand />
            <div class="titlebar-right">
                <span class="session-joined">{move || lang.get().pick("講師ページ", "Instructor")}</span>
                <LinkBadge />
                <LangSwitch />
            </div>
        </header>
        <main class="instructor-page" data-testid="instructor-page">
            <LinkNotice />
            <p class="instructor-intro">{move || lang.get().pick(
                "研修生は各自のシミュレーションで作業します。表は変化のたびに更新されます。「閲覧」は研修生の画面を読み取り専用で新しいタブに開き、「リセット」はその研修生のシミュレーションを最初に戻します（記録は残ります）。",
                "Each trainee works in a simulation of their own; the table updates on every change. View opens a trainee's screens read-only in a new tab; Reset returns that trainee's simulation to the start (the record is kept).",
            )}</p>
            <OutcomeLine />
            <For each=classes key=|class| class.clone() let:class>
                <section class="window class-section" data-testid=format!("class-{class}")>
                    <div class="window-title">
                        <h2>{move || lang.get().pick("クラス ", "Class ")}{class.clone()}</h2>
                    </div>
                    <div class="window-body">
                        <table::ErrorSummary class=class.clone() />
                        <table::TraineeTable class=class.clone() />
                        <class_tools::ClassTools class=class.clone() />
                    </div>
                </section>
            </For>
            <isp::ClassIsp />
        </main>
    }
    .into_any()
}

/// The socket's state, as the simulator's header shows it.
#[component]
fn LinkBadge() -> impl IntoView {
    let lang = use_lang();
    let model = use_instructor().model;
    let badge = move || {
        let l = lang.get();
        match model.with(|m| m.link) {
            LinkState::Open => ("online", l.pick("接続中", "Connected")),
            LinkState::Connecting { .. } => ("connecting", l.pick("接続処理中", "Connecting")),
            LinkState::Closed { .. } => ("offline", l.pick("切断", "Disconnected")),
        }
    };
    view! {
        <span class=move || format!("badge {}", badge().0) data-testid="link-state"
            data-state=move || badge().0 role="status">
            {move || badge().1}
        </span>
    }
}

/// Why the page is not live: a key the back end refuses (it never opened), or a lost link.
#[component]
fn LinkNotice() -> impl IntoView {
    let lang = use_lang();
    let model = use_instructor().model;
    let text = move || {
        let l = lang.get();
        model.with(|m| match m.link {
            LinkState::Closed { .. } if !m.ever_open => Some(l.pick(
                "講師ページに接続できません。講師キーが違うか、サーバが止まっています。再試行しています…",
                "The instructor page cannot connect: the key is wrong or the server is down. Trying again…",
            )),
            LinkState::Closed { .. } => Some(l.pick(
                "サーバとの接続が切れました。表示は最新ではありません。再接続しています…",
                "The server is unreachable; what you see is not live. Reconnecting…",
            )),
            _ => None,
        })
    };
    move || {
        text().map(|t| view! { <div class="link-banner" data-testid="instructor-link-notice" role="alert">{t}</div> })
    }
}

/// How the last request went.
#[component]
fn OutcomeLine() -> impl IntoView {
    let lang = use_lang();
    let model = use_instructor().model;
    let text = move || {
        let l = lang.get();
        model.with(|m| {
            m.outcome.as_ref().map(|(_, outcome)| match outcome {
                Outcome::Done(n) => (
                    "ok",
                    l.pick(
                        &format!("{n} 人に反映しました。"),
                        &format!("Done for {n} trainee(s)."),
                    )
                    .to_string(),
                ),
                Outcome::Refused(error) => ("error", error.text(l).to_string()),
            })
        })
    };
    view! {
        <p class=move || format!("save-outcome {}", text().map_or("", |t| t.0))
            data-testid="instructor-outcome" role="status">
            {move || text().map(|t| t.1)}
        </p>
    }
}
