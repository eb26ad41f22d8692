//! 通信ログ: the live POP3/SMTP dialogue of the sandbox ISP and the engine (passwords already
//! masked by the back end), filterable by party and service, newest at the bottom. The filter
//! lives in the model, so it is still set when the screen is opened again.

use leptos::html;
use leptos::prelude::*;
use shared::transcript::{Direction, Party, Service};

use crate::components::{ScreenBar, Window, clock};
use crate::use_ui;

fn party_value(p: Option<Party>) -> &'static str {
    match p {
        None => "all",
        Some(Party::Sandbox) => "sandbox",
        Some(Party::Engine) => "engine",
    }
}

fn service_value(s: Option<Service>) -> &'static str {
    match s {
        None => "all",
        Some(Service::Pop3) => "pop3",
        Some(Service::Smtp) => "smtp",
    }
}

/// The log screen.
#[component]
pub fn LogPage() -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    let filter = Memo::new(move |_| ui.model.with(|m| m.log_filter));
    let party = Signal::derive(move || filter.get().party);
    let service = Signal::derive(move || filter.get().service);
    let set_party = move |p: Option<Party>| ui.model.update(|m| m.log_filter.party = p);
    let set_service = move |s: Option<Service>| ui.model.update(|m| m.log_filter.service = s);
    let follow = RwSignal::new(true);
    let list = NodeRef::<html::Div>::new();

    let lines = Memo::new(move |_| {
        let filter = filter.get();
        ui.model.with(|m| {
            m.numbered_dialogue(filter)
                .into_iter()
                .map(|(n, l)| (n, l.clone()))
                .collect::<Vec<_>>()
        })
    });
    // Keep the newest line in view while following.
    Effect::new(move |_| {
        lines.track();
        if follow.get()
            && let Some(el) = list.get()
        {
            request_animation_frame(move || el.set_scroll_top(el.scroll_height()));
        }
    });

    let party_label = move |p: Option<Party>| match p {
        None => lang.get().pick("すべて", "all"),
        Some(Party::Sandbox) => lang.get().pick("サンドボックスISP", "sandbox ISP"),
        Some(Party::Engine) => lang.get().pick("エンジン", "engine"),
    };
    let service_label = move |s: Option<Service>| match s {
        None => lang.get().pick("すべて", "all"),
        Some(Service::Pop3) => "POP3",
        Some(Service::Smtp) => "SMTP",
    };
    let party_options = [None, Some(Party::Sandbox), Some(Party::Engine)].map(|p| {
        view! { <option value=party_value(p) selected=move || party.get() == p>{move || party_label(p)}</option> }
    });
    let service_options = [None, Some(Service::Pop3), Some(Service::Smtp)].map(|s| {
        view! { <option value=service_value(s) selected=move || service.get() == s>{move || service_label(s)}</option> }
    });

    view! {
        <div class="screen" data-testid="log-screen">
            <ScreenBar ja="通信ログ" en="Protocol log" help="log" />
            <Window id="log-window" ja="POP3/SMTP の対話（パスワードは伏せ字）" en="POP3/SMTP dialogue (passwords masked)" class="wide">
                <div class="filters">
                    <div class="control">
                        <label for="log-party">{move || lang.get().pick("相手", "Side")}</label>
                        <select id="log-party" data-testid="log-party" on:change=move |ev| {
                            let v = event_target_value(&ev);
                            set_party([Some(Party::Sandbox), Some(Party::Engine)].into_iter().find(|p| party_value(*p) == v).flatten());
                        }>{party_options}</select>
                    </div>
                    <div class="control">
                        <label for="log-service">{move || lang.get().pick("プロトコル", "Protocol")}</label>
                        <select id="log-service" data-testid="log-service" on:change=move |ev| {
                            let v = event_target_value(&ev);
                            set_service([Some(Service::Pop3), Some(Service::Smtp)].into_iter().find(|s| service_value(*s) == v).flatten());
                        }>{service_options}</select>
                    </div>
                    <div class="control check">
                        <input
                            type="checkbox"
                            id="log-follow"
                            data-testid="log-follow"
                            prop:checked=move || follow.get()
                            on:change=move |ev| follow.set(event_target_checked(&ev))
                        />
                        <label for="log-follow">{move || lang.get().pick("自動スクロール", "Follow new lines")}</label>
                    </div>
                    <span class="log-count" data-testid="log-count">
                        {move || match lang.get() {
                            shared::Lang::Ja => format!("{} 行", lines.with(Vec::len)),
                            shared::Lang::En => format!("{} lines", lines.with(Vec::len)),
                        }}
                    </span>
                </div>
                <div class="log" node_ref=list data-testid="log-lines" tabindex="0" role="log"
                    aria-label=move || lang.get().pick("通信ログ", "Protocol log")>
                    <Show when=move || lines.with(Vec::is_empty)>
                        <p class="empty">{move || lang.get().pick(
                            "まだ通信はありません。RST や「今すぐ受信」で始まります。",
                            "No dialogue yet. RST or Receive now starts some.",
                        )}</p>
                    </Show>
                    <For each=move || lines.get() key=|(n, _)| *n let((_, line))>
                        <div
                            class=format!("log-line {}", match line.direction {
                                Direction::ToServer => "to-server",
                                Direction::ToClient => "to-client",
                                Direction::Note => "note",
                            })
                            data-party=party_value(Some(line.party))
                            data-service=service_value(Some(line.service))
                        >
                            <span class="log-time">{clock::time_ms(line.at_unix_ms)}</span>
                            <span class="log-party">{move || party_label(Some(line.party))}</span>
                            <span class="log-service">{format!("{}#{}", service_label(Some(line.service)), line.session)}</span>
                            <span class="log-dir">{match line.direction {
                                Direction::ToServer => "C→S",
                                Direction::ToClient => "S→C",
                                Direction::Note => "··",
                            }}</span>
                            <span class="log-text">{
                                let shown = line.clone();
                                move || shown.text_in(lang.get()).to_string()
                            }</span>
                        </div>
                    </For>
                </div>
            </Window>
        </div>
    }
}
