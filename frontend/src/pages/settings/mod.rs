//! 「Eメール接続環境設定」 (メインメニュー → システム設定 → 2.Eメール環境): frame (1) account and
//! servers (5–10), frame (2) authentication (11, 12), frame (3) the live connection state, and
//! our fields 1–4, one component a window. 登録 checks the form with the same validation the back
//! end runs, then sends it; the password input is cleared as soon as it is sent and never
//! filled from the back end. Every save ends in an answer on screen: saved, invalid, refused
//! (with the back end's reason) or the connection lost.
//!
//! Several pages may show the same settings. Settings saved elsewhere refill the form only
//! while nothing was typed into it; otherwise the typed values stay and a notice offers to load
//! the new ones. A save names the version the form was filled from, so the back end refuses it
//! when the settings changed since, and only the page that saved is told 「登録しました」.

pub mod account;
pub mod auth;
pub mod receiving;
pub mod save_bar;

use leptos::prelude::*;
use shared::ClientMsg;
use shared::settings::{Field, FieldError};

use crate::components::{Back, ConnectionTest, FieldRow, Kind, ScreenBar, StatusFrame, Window};
use crate::form::{Arrival, Draft, SaveOutcome, on_arrival, settle};
use crate::nav::{self, Page};
use crate::use_ui;

/// The form every window of the screen edits: the typed values and the errors to show.
#[derive(Clone, Copy)]
pub struct Form {
    /// The inputs as typed.
    pub draft: RwSignal<Draft>,
    /// The errors to show beside the fields.
    pub errors: Signal<Vec<FieldError>>,
}

impl Form {
    /// A text input bound to one part of the draft.
    fn row(
        self,
        field: Field,
        kind: Kind,
        get: fn(&Draft) -> String,
        set: fn(&mut Draft, String),
        warning: Option<Signal<Option<String>>>,
    ) -> impl IntoView {
        let (draft, errors) = (self.draft, self.errors);
        match warning {
            Some(warning) => {
                view! { <FieldRow field kind draft get set errors warning /> }.into_any()
            }
            None => view! { <FieldRow field kind draft get set errors /> }.into_any(),
        }
    }
}

/// The settings screen.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    let draft = RwSignal::new(Draft::default());
    let local_errors = RwSignal::new(Vec::<FieldError>::new());
    let outcome = RwSignal::new(SaveOutcome::Idle);

    // The version and values the form was last filled from.
    let loaded = RwSignal::new(None::<(u64, Draft)>);
    let stored = Memo::new(move |_| {
        ui.model
            .with(|m| m.settings.as_ref().map(|s| (s.version, s.pending.clone())))
    });
    let pending = Memo::new(move |_| stored.with(|s| s.as_ref().map(|(_, p)| p.clone())));
    let fill = move |version: u64, saved: &shared::settings::MailSettings| {
        let filled = Draft::from_settings(saved);
        draft.set(filled.clone());
        loaded.set(Some((version, filled)));
        local_errors.set(Vec::new());
    };
    // Fill the form from the saved settings, and again whenever they change, unless the user
    // is typing (see the module's notes).
    Effect::new(move |_| {
        let own_save = ui.model.with(|m| m.own_save);
        stored.with(|stored| {
            let Some((version, saved)) = stored else {
                return;
            };
            let (from, edited) = loaded.with_untracked(|l| match l {
                Some((from, filled)) => (Some(*from), draft.with_untracked(|d| d != filled)),
                None => (None, false),
            });
            if on_arrival(from, *version, own_save, edited) == Arrival::Fill {
                fill(*version, saved);
            }
        });
    });
    let changed_elsewhere = move || {
        let from = loaded.with(|l| l.as_ref().map(|(v, _)| *v));
        stored.with(|s| s.as_ref().is_some_and(|(v, _)| Some(*v) != from))
    };
    let reload = move |_| {
        if let Some((version, saved)) = stored.get_untracked() {
            fill(version, &saved);
            outcome.set(SaveOutcome::Idle);
            ui.model.update(|m| m.clear_error());
        }
    };
    // A save is answered by SettingsSaved, SettingsRejected, an error, or a lost link.
    let answer = Memo::new(move |_| {
        ui.model.with(|m| {
            let refused = m.refusal(shared::Lang::En).is_some();
            (m.own_save, m.settings_errors.len(), refused, m.is_live())
        })
    });
    Effect::new(move |_| {
        let (own_save, rejected, refused, live) = answer.get();
        if let SaveOutcome::Waiting { since } = outcome.get_untracked()
            && let Some(done) = settle(since, own_save, rejected, refused, live)
        {
            outcome.set(done);
        }
    });

    let errors = Signal::derive(move || {
        let local = local_errors.get();
        if local.is_empty() {
            ui.model.with(|m| m.settings_errors.clone())
        } else {
            local
        }
    });
    let password_set = move || pending.with(|p| p.as_ref().is_some_and(|p| p.password_set));
    let restart_needed = move || {
        ui.model
            .with(|m| m.settings.as_ref().is_some_and(|s| s.restart_needed()))
    };

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match draft.with_untracked(|d| d.to_save(password_set())) {
            Err(found) => {
                outcome.set(SaveOutcome::Invalid(found.len()));
                local_errors.set(found);
            }
            Ok((settings, password)) => {
                local_errors.set(Vec::new());
                ui.model.update(|m| {
                    m.settings_errors.clear();
                    m.clear_error();
                });
                let since = ui.model.with_untracked(|m| m.own_save);
                let based_on = loaded.with_untracked(|l| l.as_ref().map_or(0, |(v, _)| *v));
                ui.link.send(&ClientMsg::SaveSettings {
                    settings,
                    password,
                    based_on,
                });
                // The password leaves the page with this message and nowhere else.
                draft.update(|d| d.password.clear());
                outcome.set(SaveOutcome::Waiting { since });
            }
        }
    };
    let form = Form { draft, errors };

    view! {
        <div class="screen" data-testid="settings-screen">
            <ScreenBar
                ja="Eメール接続環境設定"
                en="E-mail connection settings"
                path_ja="メインメニュー → システム設定 → 2.Eメール環境"
                path_en="Main menu → System settings → 2. E-mail environment"
                back=Back::System
            />
            <Show when=restart_needed>
                <div class="notice" data-testid="restart-needed" role="status">
                    <span>{move || lang.get().pick(
                        "登録した設定はまだ使われていません。メインメニューまで戻り、メインメニューを閉じて、GUI呼出コンソールで RST（再起動）すると反映されます。",
                        "The saved settings are not in use yet. Go back to the main menu, close it, and restart with RST on the GUI console to apply them.",
                    )}</span>
                    <button type="button" class="btn btn-small" on:click=move |_| nav::go(ui.page, Page::Menu)>
                        {move || lang.get().pick("メインメニューへ戻る", "Back to main menu")}
                    </button>
                </div>
            </Show>
            <Show when=changed_elsewhere>
                <div class="notice" data-testid="changed-elsewhere" role="status">
                    <span>{move || lang.get().pick(
                        "他の画面で変更されました — 読み込み直しますか？",
                        "Changed elsewhere — reload?",
                    )}</span>
                    <button type="button" class="btn btn-small" data-testid="reload-settings" on:click=reload>
                        {move || lang.get().pick("読み込み直す", "Reload")}
                    </button>
                </div>
            </Show>
            <form class="frames" on:submit=save novalidate=true>
                <account::AccountFrame form password_set=Signal::derive(password_set) />
                <auth::AuthFrame form />
                <Window id="frame-3" ja="(3) メールサーバとの接続状態" en="(3) Connection to the mail server" help="status">
                    <StatusFrame />
                </Window>
                <receiving::ReceivingFrame form />
                <save_bar::SaveBar outcome />
                <ConnectionTest draft password_set=Signal::derive(password_set) />
            </form>
        </div>
    }
}
