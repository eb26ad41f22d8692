//! The two HTTP requests around the socket: what this page is (`GET /api/session`) and joining
//! a class (`POST /api/join?class=CODE`, the query for a reverse proxy that routes by class).
//! The session cookie is HttpOnly: the browser keeps and sends it, this code never sees it.

use shared::classroom::{JoinRequest, SessionInfo};
use shared::transcript::Notice;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, RequestInit, Response};

use crate::address::with_query;

/// Asks the back end what this page is; `None` when it cannot be reached (try again). A back
/// end that answers without a session (no such route: a 404, or the page itself) has no
/// classes, so that is single-user mode.
pub async fn fetch_session() -> Option<SessionInfo> {
    let window = web_sys::window()?;
    let url = with_token("/api/session", &[]);
    let response = JsFuture::from(window.fetch_with_str(&url)).await.ok()?;
    let response: Response = response.dyn_into().ok()?;
    if response.status() >= 500 {
        return None;
    }
    let text = text(&response).await?;
    Some(serde_json::from_str(&text).unwrap_or(SessionInfo::Single))
}

/// Joins a class: the session it made, or why not in both languages.
pub async fn join(request: &JoinRequest) -> Result<SessionInfo, Notice> {
    let unreachable = || {
        Notice::new(
            "サーバに接続できませんでした。もう一度お試しください。",
            "The server could not be reached. Try again.",
        )
    };
    let window = web_sys::window().ok_or_else(unreachable)?;
    let init = RequestInit::new();
    init.set_method("POST");
    let headers = Headers::new().map_err(|_| unreachable())?;
    let _ = headers.set("Content-Type", "application/json");
    init.set_headers(&headers);
    let body = serde_json::to_string(request).map_err(|_| unreachable())?;
    init.set_body(&JsValue::from_str(&body));
    let url = with_token("/api/join", &[("class", &request.class)]);
    let response = JsFuture::from(window.fetch_with_str_and_init(&url, &init))
        .await
        .map_err(|_| unreachable())?;
    let response: Response = response.dyn_into().map_err(|_| unreachable())?;
    let text = text(&response).await.ok_or_else(unreachable)?;
    if response.ok() {
        serde_json::from_str(&text).map_err(|_| unreachable())
    } else {
        Err(serde_json::from_str(&text).unwrap_or_else(|_| {
            Notice::new(
                format!("参加できませんでした（HTTP {}）。", response.status()),
                format!("Could not join (HTTP {}).", response.status()),
            )
        }))
    }
}

/// `path` with `query` and, behind a non-loopback back end, its access token (which the back
/// end asks of these requests as of the socket).
fn with_token(path: &str, query: &[(&str, &str)]) -> String {
    let token = crate::link::access_token();
    let mut pairs = query.to_vec();
    if let Some(token) = &token {
        pairs.push(("token", token));
    }
    with_query(path, &pairs)
}

async fn text(response: &Response) -> Option<String> {
    JsFuture::from(response.text().ok()?)
        .await
        .ok()?
        .as_string()
}
