//! GUI呼出コンソール: outside the main menu (closing the menu shows it, as in the original). RST
//! (the engine restarts with the saved settings), "receive now", the live state, and the
//! settings saved versus running side by side, differences marked.
//!
//! 今すぐ受信 is our addition: the original has no such button, and its manual says that an
//! interval of 0 stops receiving. So the button is disabled while the running interval is 0
//! (or nothing runs yet), rather than letting a trainee receive with receiving "off".

use leptos::prelude::*;
use shared::ClientMsg;
use shared::settings::Field;

use crate::components::{
    Back, FrameHint, OursTag, ScreenBar, StatusFrame, TimeScaleControl, Window,
};
use crate::form::display_value;
use crate::use_ui;

/// The console screen.
#[component]
pub fn ConsolePage() -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    let live = move || ui.model.with(|m| m.can_change());
    let view_memo = Memo::new(move |_| ui.model.with(|m| m.settings.clone()));
    let restart_needed = move || view_memo.with(|v| v.as_ref().is_some_and(|v| v.restart_needed()));
    // What the running engine does: `None` before the first RST, else its interval.
    let running_interval = move || {
        view_memo.with(|v| {
            v.as_ref()
                .and_then(|v| v.applied.as_ref())
                .map(|a| a.receive_interval_min)
        })
    };
    let can_receive = move || live() && running_interval().is_some_and(|m| m > 0);
    let receive_note = move || {
        let l = lang.get();
        match running_interval() {
            None => l.pick(
                "まだ RST していないため、受信はしていません。",
                "Nothing runs before the first RST, so nothing is received.",
            ),
            Some(0) => l.pick(
                "実行中の 1.メール受信間隔時間 が 0（受信停止）のため使えません。0 は受信を止める設定です。",
                "Disabled: the running 1. Receive interval (min) is 0, which stops receiving.",
            ),
            Some(_) => l.pick(
                "受信間隔を待たずにメールボックスを一度読みます（元の製品にはない、研修用の機能です）。",
                "Reads the mailbox once without waiting for the interval (a training aid the original does not have).",
            ),
        }
    };
    let rows = move || {
        let l = lang.get();
        view_memo.with(|v| {
            let Some(v) = v else {
                return Vec::new();
            };
            Field::ALL
                .iter()
                .map(|field| {
                    let pending = display_value(&v.pending, *field, l);
                    let applied = v
                        .applied
                        .as_ref()
                        .map_or_else(|| "—".to_string(), |a| display_value(a, *field, l));
                    let differs = v
                        .applied
                        .as_ref()
                        .is_none_or(|a| display_value(a, *field, l) != pending);
                    (*field, pending, applied, differs)
                })
                .collect()
        })
    };
    view! {
        <div class="screen" data-testid="console-screen">
            <ScreenBar ja="GUI呼出コンソール" en="GUI console" back=Back::OpenMenu help="console" />
            <div class="frames">
                <Window id="console-controls" ja="操作" en="Controls" help="restart">
                    <FrameHint
                        ja="RST でエンジンを再起動し、登録した設定を反映します。"
                        en="RST restarts the engine with the saved settings."
                    />
                    <div class="button-row">
                        <button
                            type="button"
                            class="btn btn-primary"
                            class:attention=restart_needed
                            data-testid="rst"
                            disabled=move || !live()
                            on:click=move |_| ui.link.send(&ClientMsg::Restart)
                        >
                            {move || lang.get().pick("RST（再起動）", "RST (restart)")}
                        </button>
                        <button
                            type="button"
                            class="btn"
                            data-testid="receive-now"
                            disabled=move || !can_receive()
                            aria-describedby="receive-now-note"
                            on:click=move |_| ui.link.send(&ClientMsg::ReceiveNow)
                        >
                            {move || lang.get().pick("今すぐ受信", "Receive now")}
                        </button>
                        <OursTag />
                    </div>
                    <p class="notice-inline" id="receive-now-note" data-testid="receive-now-note">{receive_note}</p>
                    <p class="notice-inline" data-testid="console-restart-state" role="status">
                        {move || if restart_needed() {
                            lang.get().pick("RST 待ちの設定があります。", "Saved settings wait for RST.")
                        } else {
                            lang.get().pick("実行中の設定は登録済みの設定と同じです。", "The running settings are the saved ones.")
                        }}
                    </p>
                    <TimeScaleControl />
                </Window>
                <Window id="console-status" ja="(3) 接続状態" en="(3) Connection state" help="status">
                    <StatusFrame />
                </Window>
                <Window id="console-settings" ja="設定: 登録済み と 実行中" en="Settings: saved and running" class="wide">
                    <div class="table-scroll">
                        <table class="compare" data-testid="settings-compare">
                            <thead>
                                <tr>
                                    <th scope="col">{move || lang.get().pick("項目", "Field")}</th>
                                    <th scope="col">{move || if restart_needed() {
                                        lang.get().pick("登録済み（RST 待ち）", "Saved (waits for RST)")
                                    } else {
                                        lang.get().pick("登録済み", "Saved")
                                    }}</th>
                                    <th scope="col">{move || lang.get().pick("実行中", "Running")}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {move || {
                                    let l = lang.get();
                                    rows()
                                        .into_iter()
                                        .map(|(field, pending, applied, differs)| view! {
                                            <tr
                                                class:diff=differs
                                                data-testid=format!("compare-{}", field.number())
                                                data-diff=differs.to_string()
                                            >
                                                <th scope="row">{field.label(l)}</th>
                                                <td>{pending}</td>
                                                <td>{applied}</td>
                                            </tr>
                                        })
                                        .collect_view()
                                }}
                            </tbody>
                        </table>
                    </div>
                    <p class="legend">
                        <span class="swatch"></span>
                        {move || lang.get().pick("色付きの行は RST で変わる項目です。", "Highlighted rows change with RST.")}
                    </p>
                </Window>
            </div>
        </div>
    }
}
