//! クラスに参加: the first page of a trainee in a class. The class code (prefilled from the
//! address's `?class=`) and the name the instructor will see; 参加 asks the back end, which
//! answers with the session or says why not. What was typed stays as it was after a refusal.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::classroom::{JoinRequest, MAX_CLASS_CHARS, MAX_NAME_CHARS, SessionInfo};
use shared::transcript::Notice;

use crate::components::{Brand, LangSwitch};
use crate::use_lang;

/// The join form; `joined` receives the session once the back end has made it.
#[component]
pub fn JoinPage(
    class: Option<String>,
    #[prop(into)] joined: Callback<SessionInfo>,
) -> impl IntoView {
    let lang = use_lang();
    let code = RwSignal::new(class.unwrap_or_default());
    let name = RwSignal::new(String::new());
    let refusal = RwSignal::new(None::<Notice>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = JoinRequest {
            class: code.get_untracked(),
            name: name.get_untracked(),
        };
        // The same check the back end makes, so an empty name needs no round trip.
        let request = match request.normalized() {
            Ok(request) => request,
            Err(why) => {
                refusal.set(Some(why.notice()));
                return;
            }
        };
        refusal.set(None);
        busy.set(true);
        spawn_local(async move {
            let answer = crate::session::join(&request).await;
            busy.try_set(false);
            match answer {
                Ok(info @ SessionInfo::Class { joined: Some(_) }) => joined.run(info),
                Ok(_) => {
                    refusal.try_set(Some(Notice::new(
                        "このサーバはクラスを開いていません。",
                        "This server does not run a class.",
                    )));
                }
                Err(notice) => {
                    refusal.try_set(Some(notice));
                }
            }
        });
    };
    view! {
        <header class="titlebar">
            <Brand />
            <div class="titlebar-right"><LangSwitch /></div>
        </header>
        <main class="join-page">
            <form class="window join-window" data-testid="join-form" on:submit=submit novalidate=true
                aria-labelledby="join-title">
                <div class="window-title">
                    <h2 id="join-title">{move || lang.get().pick("クラスに参加", "Join a class")}</h2>
                </div>
                <div class="window-body">
                    <p class="join-intro">{move || lang.get().pick(
                        "講師から伝えられたクラスコードと、講師の一覧に表示する名前を入力してください。参加すると、あなた専用のシミュレーションが始まります（他の研修生からは見えません）。",
                        "Enter the class code your instructor gave you and the name the instructor's list will show. Joining starts a simulation of your own (no other trainee sees it).",
                    )}</p>
                    <div class="control join-control">
                        <label for="join-class">{move || lang.get().pick("クラスコード", "Class code")}</label>
                        <input id="join-class" data-testid="join-class" type="text" autocomplete="off"
                            maxlength=MAX_CLASS_CHARS.to_string()
                            prop:value=move || code.get()
                            on:input=move |ev| code.set(event_target_value(&ev)) />
                        <span class="field-hint">{move || lang.get().pick(
                            "例: A1（講師の案内のとおりに）",
                            "e.g. A1 (as your instructor wrote it)",
                        )}</span>
                    </div>
                    <div class="control join-control">
                        <label for="join-name">{move || lang.get().pick("表示名", "Display name")}</label>
                        <input id="join-name" data-testid="join-name" type="text" autocomplete="name"
                            maxlength=MAX_NAME_CHARS.to_string()
                            prop:value=move || name.get()
                            on:input=move |ev| name.set(event_target_value(&ev)) />
                        <span class="field-hint">{move || lang.get().pick(
                            "40 文字以内。クラスの中で他の人と同じ名前は使えません。",
                            "At most 40 characters; no two trainees of a class share a name.",
                        )}</span>
                    </div>
                    <div class="save-bar">
                        <button type="submit" class="btn btn-primary" data-testid="join-submit"
                            disabled=move || busy.get()>
                            {move || lang.get().pick("参加", "Join")}
                        </button>
                        <span class="save-outcome error" data-testid="join-refusal" role="alert">
                            {move || refusal.get().map(|n| n.text(lang.get()).to_string())}
                        </span>
                    </div>
                </div>
            </form>
        </main>
    }
}
