//! `/ws/instructor?key=KEY`: the instructor's page. [`ClassMsg::Welcome`] first (the classes
//! and the exercises that can be pushed), then the class list on connect and on every change;
//! each [`InstructorMsg`] is answered with `Done`, `Records` or `Error`. Requests run beside the
//! loop (pushing an exercise to a class takes a while), so the class list keeps coming; one
//! under way when the page leaves is carried out all the same, so a class is never left half
//! pushed. The loop is generic over `Sink`/`Stream` for unit tests.

use std::future::Future;

use axum::extract::ws::{CloseFrame, Message, WebSocketUpgrade, close_code};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt, Sink, SinkExt, Stream, StreamExt};
use serde::Deserialize;
use shared::classroom::{ClassMsg, InstructorMsg};
use shared::protocol::{ErrorCode, MAX_CLIENT_FRAME_BYTES, ProtocolError};

use super::AppState;
use crate::classroom::{ClassError, Classroom};

/// Requests of one page running at once; more are refused until one ends.
const MAX_PENDING: usize = 4;

#[derive(Debug, Deserialize)]
pub(super) struct InstructorQuery {
    key: Option<String>,
    token: Option<String>,
}

pub(super) async fn upgrade(
    State(state): State<AppState>,
    Query(query): Query<InstructorQuery>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if let Err(refusal) = state.check(&headers, query.token.as_deref()) {
        tracing::warn!(%refusal, "refused /ws/instructor");
        return (refusal.status(), refusal.to_string()).into_response();
    }
    let Some(classroom) = state.classroom().cloned() else {
        return (
            StatusCode::NOT_FOUND,
            "このサーバーではクラスを開いていません。\nThis server runs no class.",
        )
            .into_response();
    };
    if !query
        .key
        .as_deref()
        .is_some_and(|k| classroom.key_matches(k))
    {
        tracing::warn!("refused /ws/instructor: wrong key");
        return (StatusCode::UNAUTHORIZED, WRONG_KEY).into_response();
    }
    let Ok(slot) = state.sockets.clone().try_acquire_owned() else {
        return (StatusCode::SERVICE_UNAVAILABLE, super::TOO_MANY_PAGES).into_response();
    };
    // The process's shutdown, as every simulation sees it.
    let lobby = state.simulation.clone();
    ws.max_message_size(MAX_CLIENT_FRAME_BYTES)
        .max_frame_size(MAX_CLIENT_FRAME_BYTES)
        .on_upgrade(move |socket| async move {
            let (sink, stream) = socket.split();
            session(
                sink,
                stream,
                classroom,
                async move { lobby.cancelled().await },
            )
            .await;
            drop(slot);
        })
}

/// The answer to a missing or wrong instructor's key.
pub(super) const WRONG_KEY: &str = "講師の鍵がないか、違います。講師ページのアドレスを確かめてください。\n\
     The instructor's key is missing or wrong; check the instructor page's address.";

/// Serves the instructor's page until it leaves or `shutdown` completes.
pub(super) async fn session<W, R, E>(
    mut sink: W,
    mut stream: R,
    classroom: Classroom,
    shutdown: impl Future<Output = ()>,
) where
    W: Sink<Message> + Unpin,
    R: Stream<Item = Result<Message, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut rows = classroom.subscribe();
    let welcome = ClassMsg::Welcome {
        classes: classroom.classes().to_vec(),
        exercises: classroom.exercises(),
    };
    let first = ClassMsg::Class {
        trainees: rows.borrow_and_update().clone(),
    };
    for msg in [welcome, first] {
        if send(&mut sink, msg).await.is_err() {
            return;
        }
    }
    let mut pending = FuturesUnordered::<BoxFuture<'static, ClassMsg>>::new();
    let mut shutdown = std::pin::pin!(shutdown);
    let mut shutting_down = false;
    loop {
        let outgoing = tokio::select! {
            () = &mut shutdown => {
                shutting_down = true;
                let bye = CloseFrame { code: close_code::AWAY, reason: "server shutting down".into() };
                let _ = sink.send(Message::Close(Some(bye))).await;
                break;
            }
            changed = rows.changed() => match changed {
                Ok(()) => Some(ClassMsg::Class { trainees: rows.borrow_and_update().clone() }),
                Err(_) => break,
            },
            Some(answer) = pending.next(), if !pending.is_empty() => Some(answer),
            frame = stream.next() => match frame {
                None => break,
                Some(Err(err)) => {
                    tracing::debug!(%err, "instructor's websocket read failed");
                    break;
                }
                Some(Ok(frame)) => match decode(frame) {
                    None => None,
                    Some(Err(error)) => Some(ClassMsg::Error(error)),
                    Some(Ok(_)) if pending.len() >= MAX_PENDING => Some(ClassMsg::Error(busy())),
                    Some(Ok(msg)) => {
                        pending.push(request(msg, &classroom));
                        None
                    }
                },
            },
        };
        if let Some(msg) = outgoing
            && send(&mut sink, msg).await.is_err()
        {
            break;
        }
    }
    // At shutdown the simulations stop anyway; otherwise finish what the instructor asked.
    if !shutting_down {
        while pending.next().await.is_some() {}
    }
}

async fn send<W: Sink<Message> + Unpin>(sink: &mut W, msg: ClassMsg) -> Result<(), W::Error> {
    sink.send(Message::Text(msg.encode().into())).await
}

/// The request in a frame, why it is not one, or nothing to answer (control frames).
fn decode(frame: Message) -> Option<Result<InstructorMsg, ProtocolError>> {
    match frame {
        Message::Text(text) => Some(InstructorMsg::decode(&text).map_err(|err| ProtocolError {
            code: ErrorCode::MalformedMessage,
            message: format!("not an instructor's message ({err})"),
            message_ja: None,
        })),
        Message::Binary(_) => Some(Err(ProtocolError::binary_frame())),
        Message::Ping(_) | Message::Pong(_) | Message::Close(_) => None,
    }
}

/// The refusal while [`MAX_PENDING`] requests still run.
fn busy() -> ProtocolError {
    ProtocolError::rate_limited(
        "前の操作がまだ終わっていません。終わってからもう一度どうぞ。".into(),
        "Earlier requests are still running; try again when they are done.".into(),
    )
}

/// What an instructor's request does, as the answer it will give.
fn request(msg: InstructorMsg, classroom: &Classroom) -> BoxFuture<'static, ClassMsg> {
    let classroom = classroom.clone();
    async move {
        let done = |trainees| ClassMsg::Done { trainees };
        let answer = match msg {
            InstructorMsg::ResetTrainee { id } => {
                classroom.reset_trainee(&id).await.map(|()| done(1))
            }
            InstructorMsg::PushExercise { class, exercise } => {
                classroom.push_exercise(&class, &exercise).await.map(done)
            }
            InstructorMsg::PushPolicy { class, policy } => {
                classroom.push_policy(&class, policy).await.map(done)
            }
            InstructorMsg::GetRecords { class } => classroom
                .records(&class)
                .map(|json_lines| ClassMsg::Records { class, json_lines }),
        };
        answer.unwrap_or_else(|err| ClassMsg::Error(refused(&err)))
    }
    .boxed()
}

/// A failed request as the instructor's page shows it: a wrong name is the request's fault,
/// the rest the back end's.
fn refused(err: &ClassError) -> ProtocolError {
    let notice = err.notice();
    match err {
        ClassError::NoTrainee | ClassError::NoClass | ClassError::NoExercise => {
            ProtocolError::invalid_in(notice.ja, notice.en)
        }
        ClassError::Failed(_) | ClassError::Store(_) => ProtocolError::failed(&notice),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_requests_refusals_or_nothing() {
        let get = InstructorMsg::GetRecords { class: "A".into() };
        assert_eq!(decode(Message::Text(get.encode().into())), Some(Ok(get)));
        let Some(Err(garbage)) = decode(Message::Text("{oops".into())) else {
            panic!("garbage must be refused")
        };
        assert_eq!(garbage.code, ErrorCode::MalformedMessage);
        let Some(Err(binary)) = decode(Message::Binary(vec![1].into())) else {
            panic!("binary must be refused")
        };
        assert_eq!(binary.code, ErrorCode::BinaryFrame);
        assert_eq!(decode(Message::Ping(vec![].into())), None);
    }

    #[test]
    fn a_wrong_name_is_the_request_fault_and_the_rest_the_back_end() {
        for err in [
            ClassError::NoTrainee,
            ClassError::NoClass,
            ClassError::NoExercise,
        ] {
            let error = refused(&err);
            assert_eq!(error.code, ErrorCode::InvalidRequest);
            assert!(error.message_ja.is_some());
        }
        let failed = refused(&ClassError::Failed("disk full".into()));
        assert_eq!(failed.code, ErrorCode::Failed);
        assert!(failed.message.contains("disk full"));
        assert_eq!(busy().code, ErrorCode::RateLimited);
    }
}
