//! `GET /api/session` and `POST /api/join` (see `shared::classroom`): what this page is, and a
//! browser joining a class. A join is checked as `/ws` is (Host, Origin, the access token), so
//! another site cannot make a visitor's browser join; a refusal answers 4xx with a [`Notice`]
//! in both languages; success sets the session cookie and the class cookie a routing proxy
//! reads.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use shared::classroom::{JoinError, JoinRequest, SessionInfo};
use shared::transcript::Notice;

use super::caller::Caller;
use super::{AppState, TokenQuery};

/// The largest join request read: a class code and a name are far smaller.
pub(super) const MAX_JOIN_BYTES: usize = 4 * 1024;

/// A refused request: its status and why, in both languages.
pub(super) struct Refused(pub(super) StatusCode, pub(super) Notice);

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        (self.0, Json(self.1)).into_response()
    }
}

/// What this page is: no class, or a class and whether this browser has joined it.
pub(super) async fn session_info(
    State(state): State<AppState>,
    caller: Caller,
) -> Json<SessionInfo> {
    Json(match state.classroom() {
        None => SessionInfo::Single,
        Some(classroom) => SessionInfo::Class {
            joined: caller.session.as_deref().and_then(|s| classroom.joined(s)),
        },
    })
}

/// Joins a class: the trainee's place and the cookies, or why not.
pub(super) async fn join(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<TokenQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refused> {
    if let Err(refusal) = state.check(&headers, query.token.as_deref()) {
        tracing::warn!(%refusal, "refused a join");
        return Err(Refused(refusal.status(), refusal.notice()));
    }
    let Some(classroom) = state.classroom() else {
        return Err(Refused(
            StatusCode::NOT_FOUND,
            Notice::new(
                "このサーバーではクラスを開いていません。",
                "This server runs no class.",
            ),
        ));
    };
    let request: JoinRequest = serde_json::from_slice(&body).map_err(|_| {
        Refused(
            StatusCode::BAD_REQUEST,
            Notice::new(
                "参加の申し込みを読み取れませんでした。ページを再読み込みしてください。",
                "The join request could not be read; reload the page.",
            ),
        )
    })?;
    let (secret, joined) = classroom
        .join(&request, caller.from)
        .map_err(|err| Refused(join_status(err), err.notice()))?;
    let mut response = Json(SessionInfo::Class {
        joined: Some(joined.clone()),
    })
    .into_response();
    let set = response.headers_mut();
    set.append(header::SET_COOKIE, caller.session_cookie(&secret));
    set.append(header::SET_COOKIE, caller.class_cookie(&joined.class));
    // A personal answer: no shared cache may keep it.
    set.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The status that says why a join was refused.
fn join_status(err: JoinError) -> StatusCode {
    match err {
        JoinError::NameMissing | JoinError::NameUnusable => StatusCode::UNPROCESSABLE_ENTITY,
        JoinError::UnknownClass => StatusCode::NOT_FOUND,
        JoinError::NameTaken | JoinError::ClassFull => StatusCode::CONFLICT,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_join_refusal_is_a_client_error() {
        for err in [
            JoinError::NameMissing,
            JoinError::NameUnusable,
            JoinError::UnknownClass,
            JoinError::NameTaken,
            JoinError::ClassFull,
        ] {
            assert!(join_status(err).is_client_error(), "{err:?}");
        }
        assert_eq!(join_status(JoinError::NameTaken), StatusCode::CONFLICT);
    }
}
