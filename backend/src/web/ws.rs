//! `/ws`: the upgrade handler (access checks), the socket loop, and the dispatch from a client
//! frame to its [`Effect`]: an answer now, nothing, or background work (the phone's and the
//! connection test's network work) whose answers come back later. The loop performs effects;
//! the dispatch never spawns or writes to the socket. The loop is generic over `Sink`/`Stream`,
//! so unit tests drive it through channels.

use std::fmt::Display;
use std::future::Future;

use axum::extract::ws::{CloseFrame, Message, WebSocketUpgrade, close_code};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::future::BoxFuture;
use futures_util::{FutureExt, Sink, SinkExt, Stream, StreamExt};
use serde::Deserialize;
use shared::protocol::{
    ClientMsg, MAX_CLIENT_FRAME_BYTES, MAX_TIME_SCALE, PROTOCOL_VERSION, Part, ProtocolError,
};
use shared::transcript::DialogueLine;
use shared::{Lang, ServerMsg};
use tokio::sync::{broadcast, mpsc, watch};

use super::AppState;
use super::caller::Caller;
use super::limits::CommandLimits;
use super::seat::Seat;
use crate::simulation::{
    Engine, PlantError, PlantRuntime, PolicyError, ResetScope, SaveError, Simulation,
};
use shared::points::Value;
use shared::training::Happening;

#[derive(Debug, Deserialize)]
pub(super) struct WsQuery {
    token: Option<String>,
    /// In a class: the trainee the instructor watches, with the instructor's `key`.
    pub(super) watch: Option<String>,
    pub(super) key: Option<String>,
}

pub(super) async fn upgrade(
    State(state): State<AppState>,
    Query(query): Query<WsQuery>,
    caller: Caller,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if let Err(refusal) = state.check(&headers, query.token.as_deref()) {
        tracing::warn!(%refusal, "refused /ws");
        return (refusal.status(), refusal.to_string()).into_response();
    }
    let Ok(slot) = state.sockets.clone().try_acquire_owned() else {
        tracing::warn!("refused /ws: too many open pages");
        return (StatusCode::SERVICE_UNAVAILABLE, super::TOO_MANY_PAGES).into_response();
    };
    let (simulation, seat) = match state.classroom() {
        None => {
            let view = state.simulation.view().clone();
            (state.simulation.clone(), Seat::Single(view))
        }
        Some(classroom) => match Seat::in_class(classroom, &query, &caller).await {
            Ok(seated) => seated,
            Err(refused) => return refused,
        },
    };
    ws.max_message_size(MAX_CLIENT_FRAME_BYTES)
        .max_frame_size(MAX_CLIENT_FRAME_BYTES)
        .on_upgrade(move |socket| async move {
            let (sink, stream) = socket.split();
            session(sink, stream, simulation, seat).await;
            drop(slot);
        })
}

/// Serves one browser until it leaves or the simulation shuts down.
pub(super) async fn session<W, R, E>(mut sink: W, mut stream: R, simulation: Simulation, seat: Seat)
where
    W: Sink<Message> + Unpin,
    R: Stream<Item = Result<Message, E>> + Unpin,
    E: Display,
{
    let _counted = simulation.client_connected();
    let mut status = simulation.subscribe();
    let sandbox = simulation.sandbox().cloned();
    let mut policy = sandbox.as_ref().map(|s| s.subscribe_policy());
    let mut dialogue = sandbox.as_ref().map(|s| s.dialogue().subscribe());
    let engine = simulation.engine().cloned();
    let mut engine_state = engine.as_ref().map(|e| e.subscribe());
    let mut settings = engine.as_ref().map(|e| e.subscribe_settings());
    let mut engine_dialogue = engine.as_ref().map(|e| e.dialogue().subscribe());
    let mut points = simulation.plant().map(|p| p.subscribe());
    let mut training = simulation.trainer().map(|t| t.subscribe());
    let mut greeting = vec![ServerMsg::Welcome {
        protocol: PROTOCOL_VERSION,
        server: simulation.info().clone(),
    }];
    greeting.push(ServerMsg::Session(Box::new(seat.view().clone())));
    greeting.push(ServerMsg::Status(status.borrow_and_update().clone()));
    if let (Some(sandbox), Some(policy)) = (&sandbox, &mut policy) {
        policy.borrow_and_update();
        greeting.push(ServerMsg::Sandbox(Box::new(sandbox.info())));
    }
    if let (Some(state), Some(settings)) = (&mut engine_state, &mut settings) {
        greeting.push(ServerMsg::Engine(Box::new(
            state.borrow_and_update().clone(),
        )));
        greeting.push(ServerMsg::Settings(Box::new(
            settings.borrow_and_update().clone(),
        )));
    }
    if let Some(points) = &mut points {
        greeting.push(ServerMsg::Points {
            points: points.borrow_and_update().clone(),
        });
    }
    // The protocol log's latest lines, so a reload keeps them.
    let mut recent: Vec<DialogueLine> = sandbox
        .iter()
        .flat_map(|s| s.dialogue().recent())
        .chain(engine.iter().flat_map(|e| e.dialogue().recent()))
        .collect();
    recent.sort_by_key(|l| l.at_unix_ms);
    greeting.extend(recent.into_iter().map(ServerMsg::Dialogue));
    if let (Some(trainer), Some(view)) = (simulation.trainer(), &mut training) {
        greeting.push(ServerMsg::Exercises {
            exercises: trainer.exercises().iter().map(|e| e.listed()).collect(),
        });
        greeting.push(ServerMsg::Training(Box::new(
            view.borrow_and_update().clone(),
        )));
    }
    for msg in greeting {
        if send(&mut sink, msg).await.is_err() {
            return;
        }
    }
    // Answers of slow requests (the phone's network work) come back through here.
    let (later, mut answers) = mpsc::channel::<ServerMsg>(8);
    let mut limits = CommandLimits::new(std::time::Instant::now());
    loop {
        let outgoing = tokio::select! {
            () = simulation.cancelled() => {
                let bye = CloseFrame { code: close_code::AWAY, reason: "server shutting down".into() };
                let _ = sink.send(Message::Close(Some(bye))).await;
                break;
            }
            changed = status.changed() => match changed {
                Ok(()) => Some(ServerMsg::Status(status.borrow_and_update().clone())),
                Err(_) => break,
            },
            Some(_) = changed(&mut policy) => sandbox.as_ref().map(|s| ServerMsg::Sandbox(Box::new(s.info()))),
            Some(line) = next_line(&mut dialogue) => line.map(ServerMsg::Dialogue),
            Some(line) = next_line(&mut engine_dialogue) => line.map(ServerMsg::Dialogue),
            Some(state) = changed(&mut engine_state) => Some(ServerMsg::Engine(Box::new(state))),
            Some(view) = changed(&mut settings) => Some(ServerMsg::Settings(Box::new(view))),
            Some(answer) = answers.recv() => Some(answer),
            Some(points) = changed(&mut points) => Some(ServerMsg::Points { points }),
            Some(view) = changed(&mut training) => Some(ServerMsg::Training(Box::new(view))),
            frame = stream.next() => match frame {
                None => break,
                Some(Err(err)) => {
                    tracing::debug!(%err, "websocket read failed");
                    break;
                }
                Some(Ok(frame)) => match admit(&frame, &mut limits) {
                    Ok(()) => perform(answer(frame, &simulation, &seat), &later, &simulation),
                    Err(refused) => Some(ServerMsg::Error(refused)),
                },
            },
        };
        if let Some(msg) = outgoing
            && send(&mut sink, msg).await.is_err()
        {
            break;
        }
    }
}

/// Where background work sends its answers for the connection loop to write.
type Answers = mpsc::Sender<ServerMsg>;

/// What one client frame asks of the connection.
pub(super) enum Effect {
    /// Nothing to write (success shows as a state every browser receives).
    Nothing,
    /// One answer, now.
    Answer(ServerMsg),
    /// Work that waits on the network: run in the background, answering through [`Answers`].
    Background(Box<dyn FnOnce(Answers) -> BoxFuture<'static, ()> + Send>),
}

impl Effect {
    /// An error answer.
    fn error(error: ProtocolError) -> Self {
        Effect::Answer(ServerMsg::Error(error))
    }

    /// Background work with a single answer.
    fn later(work: impl Future<Output = ServerMsg> + Send + 'static) -> Self {
        Effect::Background(Box::new(|answers: Answers| {
            async move {
                let _ = answers.send(work.await).await;
            }
            .boxed()
        }))
    }
}

/// Performs an effect: the one place where background work is spawned (beside the simulation,
/// which stops it at shutdown); returns what to write now.
fn perform(effect: Effect, answers: &Answers, simulation: &Simulation) -> Option<ServerMsg> {
    match effect {
        Effect::Nothing => None,
        Effect::Answer(msg) => Some(msg),
        Effect::Background(work) => {
            simulation.spawn(work(answers.clone()));
            None
        }
    }
}

/// Checks a frame against this connection's limits; frames that do not decode pass, for
/// [`answer`] to explain.
fn admit(frame: &Message, limits: &mut CommandLimits) -> Result<(), ProtocolError> {
    match frame {
        Message::Text(text) => match ClientMsg::decode(text) {
            Ok(msg) => limits.admit(&msg, std::time::Instant::now()),
            Err(_) => Ok(()),
        },
        _ => Ok(()),
    }
}

/// The next value of a watched state, or never when there is none (or it stopped).
async fn changed<T: Clone>(receiver: &mut Option<watch::Receiver<T>>) -> Option<T> {
    if let Some(r) = receiver
        && r.changed().await.is_ok()
    {
        return Some(r.borrow_and_update().clone());
    }
    std::future::pending().await
}

/// The next dialogue line; `Some(None)` when this browser fell behind and lines were skipped
/// (the log simply continues), never when there is no sandbox.
async fn next_line(
    receiver: &mut Option<broadcast::Receiver<DialogueLine>>,
) -> Option<Option<DialogueLine>> {
    let Some(r) = receiver else {
        return std::future::pending().await;
    };
    match r.recv().await {
        Ok(line) => Some(Some(line)),
        Err(broadcast::error::RecvError::Lagged(skipped)) => {
            tracing::debug!(skipped, "a browser fell behind the dialogue");
            Some(None)
        }
        Err(broadcast::error::RecvError::Closed) => std::future::pending().await,
    }
}

async fn send<W: Sink<Message> + Unpin>(sink: &mut W, msg: ServerMsg) -> Result<(), W::Error> {
    sink.send(Message::Text(msg.encode().into())).await
}

/// Changes a point; success shows as the Points message every browser receives.
fn point_change(
    simulation: &Simulation,
    id: &str,
    value: Value,
    change: impl FnOnce(&PlantRuntime) -> Result<(Value, Value), PlantError>,
) -> Effect {
    match simulation.plant().map(change) {
        None => Effect::error(ProtocolError::missing(Part::Plant)),
        Some(Ok(_)) => {
            simulation.point_set(id, value);
            Effect::Nothing
        }
        Some(Err(err)) => Effect::error(ProtocolError::invalid_in(
            err.message(Lang::Ja),
            err.message(Lang::En),
        )),
    }
}

/// True when the ISP panel may not be changed from a page (see `training`).
fn isp_locked(simulation: &Simulation) -> bool {
    simulation.trainer().is_some_and(|t| t.isp_locked())
}

/// Resets in the background; the asking page hears [`ServerMsg::ResetDone`] or why not.
fn reset(simulation: &Simulation, scope: ResetScope) -> Effect {
    if simulation.trainer().is_none() {
        return Effect::error(ProtocolError::missing(Part::Training));
    }
    let simulation = simulation.clone();
    Effect::later(async move {
        match simulation.reset(scope).await {
            Ok(()) => ServerMsg::ResetDone,
            Err(err) => ServerMsg::Error(ProtocolError::invalid_in(
                format!("リセットできませんでした: {err}"),
                format!("The reset failed: {err}"),
            )),
        }
    })
}

/// Runs a connection test, answering with its report after every step (the latest report
/// wins when the browser reads slower than the steps go).
async fn test_connection(
    engine: Engine,
    settings: shared::settings::MailSettings,
    password: shared::settings::PasswordChange,
    send_test_mail: bool,
    later: Answers,
) {
    let (out, mut reports) = watch::channel(shared::conntest::TestReport {
        steps: Vec::new(),
        finished: false,
    });
    let run = engine.test_connection(settings, password, send_test_mail, out);
    let forward = async {
        while reports.changed().await.is_ok() {
            let report = reports.borrow_and_update().clone();
            if later
                .send(ServerMsg::ConnectionTest(Box::new(report)))
                .await
                .is_err()
            {
                return;
            }
        }
    };
    let (result, ()) = tokio::join!(run, forward);
    if let Err(err) = result {
        tracing::error!(%err, "connection test: settings unreadable");
        let _ = later
            .send(ServerMsg::Error(ProtocolError::failed(&err.notice())))
            .await;
    }
}

/// What one client frame asks of the connection, from a page in `seat`.
fn answer(frame: Message, simulation: &Simulation, seat: &Seat) -> Effect {
    match frame {
        Message::Text(text) => match ClientMsg::decode(&text) {
            Ok(msg) => match seat.refusal(&msg) {
                Some(refused) => Effect::error(refused),
                None => dispatch(msg, simulation),
            },
            Err(err) => Effect::error(err),
        },
        Message::Binary(_) => Effect::error(ProtocolError::binary_frame()),
        // Pings are answered by the WebSocket layer; a Close ends the stream next.
        Message::Ping(_) | Message::Pong(_) | Message::Close(_) => Effect::Nothing,
    }
}

/// What one decoded request asks of the connection.
fn dispatch(msg: ClientMsg, simulation: &Simulation) -> Effect {
    let engine = || {
        simulation
            .engine()
            .ok_or(ProtocolError::missing(Part::Engine))
    };
    let phone = || {
        simulation
            .phone()
            .cloned()
            .ok_or(ProtocolError::missing(Part::Sandbox))
    };
    let effect = match msg {
        ClientMsg::Hello { protocol } if protocol == PROTOCOL_VERSION => Ok(Effect::Nothing),
        ClientMsg::Hello { protocol } => Err(ProtocolError::unsupported_protocol(protocol)),
        ClientMsg::Ping { nonce } => Ok(Effect::Answer(ServerMsg::Pong { nonce })),
        ClientMsg::SaveSettings {
            settings,
            password,
            based_on,
        } => engine().map(
            |_| match simulation.save_settings(settings, password, based_on) {
                Ok(version) => Effect::Answer(ServerMsg::SettingsSaved { version }),
                Err(SaveError::Invalid(errors)) => {
                    Effect::Answer(ServerMsg::SettingsRejected { errors })
                }
                Err(SaveError::Stale { .. }) => {
                    Effect::error(ProtocolError::settings_changed_elsewhere())
                }
                Err(SaveError::Store(err)) => Effect::error(ProtocolError::failed(&err.notice())),
            },
        ),
        ClientMsg::Restart => engine().map(|_| match simulation.restart() {
            Ok(()) => Effect::Nothing,
            Err(err) => Effect::error(ProtocolError::failed(&err.notice())),
        }),
        ClientMsg::PhoneSend {
            to,
            subject,
            body,
            charset,
        } => phone().map(|phone| {
            let simulation = simulation.clone();
            Effect::later(async move {
                match phone.send(&to, &subject, &body, charset).await {
                    Ok(reply) => {
                        simulation.observe(Happening::PhoneSent { to, subject });
                        ServerMsg::PhoneSent { reply }
                    }
                    Err(err) => phone_failed(err),
                }
            })
        }),
        ClientMsg::PhoneCheck => phone().map(|phone| {
            Effect::later(async move {
                match phone.inbox().await {
                    Ok(messages) => ServerMsg::PhoneInbox { messages },
                    Err(err) => phone_failed(err),
                }
            })
        }),
        ClientMsg::OperatePoint { id, value } => {
            Ok(point_change(simulation, &id, value, |p| p.operate(&id, value)))
        }
        ClientMsg::SimulatePoint { id, value } => {
            Ok(point_change(simulation, &id, value, |p| p.simulate(&id, value)))
        }
        ClientMsg::ReceiveNow => engine().map(|_| {
            simulation.receive_now();
            Effect::Nothing
        }),
        ClientMsg::TestConnection {
            settings,
            password,
            send_test_mail,
        } => connection_test(simulation, settings, password, send_test_mail),
        ClientMsg::SetSandboxPolicy { .. } if isp_locked(simulation) => {
            Err(ProtocolError::invalid_in(
                "研修課題の実施中は、ISP の設定は講師のものです（変更できません）。講師スイッチが切れている間も変更できません。".into(),
                "While an exercise is in progress the ISP is the instructor's (it cannot be changed); nor while the instructor switch is off.".into(),
            ))
        }
        // Success shows as the Sandbox message every browser receives.
        ClientMsg::SetSandboxPolicy { policy } => simulation
            .sandbox()
            .ok_or(ProtocolError::missing(Part::Sandbox))
            .map(|sandbox| match sandbox.set_policy(policy) {
                Ok(()) => {
                    simulation.observe(Happening::PolicyChanged);
                    Effect::Nothing
                }
                Err(PolicyError::Invalid(why)) => Effect::error(ProtocolError::invalid_in(
                    why.message(Lang::Ja),
                    why.message(Lang::En),
                )),
                Err(PolicyError::Store(err)) => {
                    tracing::error!(%err, "storing the sandbox policy failed");
                    Effect::error(ProtocolError::failed(&err.notice()))
                }
            }),
        ClientMsg::StartExercise { id } => Ok(reset(simulation, ResetScope::Exercise(id))),
        ClientMsg::ResetExercise => Ok(reset(simulation, ResetScope::Current)),
        ClientMsg::ResetSimulation => Ok(reset(simulation, ResetScope::Simulation)),
        ClientMsg::SetInstructor { on } => training(simulation).and_then(|trainer| {
            match trainer.set_instructor(on) {
                Ok(()) => Ok(Effect::Nothing),
                Err(_) => Err(ProtocolError::invalid_in(
                    "研修課題の実施中は講師スイッチを操作できません。".into(),
                    "The instructor switch is locked while an exercise is in progress.".into(),
                )),
            }
        }),
        ClientMsg::SetTimeScale { scale } if !(1..=MAX_TIME_SCALE).contains(&scale) => {
            Err(ProtocolError::invalid_in(
                format!("時間倍率は 1〜{MAX_TIME_SCALE} です（{scale} は指定できません）。"),
                format!("the time scale must be 1 to {MAX_TIME_SCALE}, not {scale}"),
            ))
        }
        ClientMsg::SetTimeScale { scale } => {
            simulation.set_time_scale(scale);
            Ok(Effect::Nothing)
        }
        ClientMsg::GetRecord => training(simulation).map(|trainer| {
            match trainer.record_json_lines() {
                Ok(json_lines) => Effect::Answer(ServerMsg::Record { json_lines }),
                Err(err) => Effect::error(ProtocolError::failed(&err.notice())),
            }
        }),
    };
    effect.unwrap_or_else(Effect::error)
}

/// The trainer, or why there is none.
fn training(simulation: &Simulation) -> Result<&crate::simulation::Trainer, ProtocolError> {
    simulation
        .trainer()
        .ok_or(ProtocolError::missing(Part::Training))
}

/// The phone's failure as the browser reads it.
fn phone_failed(err: crate::simulation::ClientError) -> ServerMsg {
    ServerMsg::PhoneFailed {
        error: err.kind,
        detail: err.detail,
    }
}

/// A connection test of the given (pending, unapplied) settings, reporting every step.
fn connection_test(
    simulation: &Simulation,
    settings: shared::settings::MailSettings,
    password: shared::settings::PasswordChange,
    send_test_mail: bool,
) -> Result<Effect, ProtocolError> {
    let engine = simulation
        .engine()
        .cloned()
        .ok_or(ProtocolError::missing(Part::Engine))?;
    let errors = settings.validate();
    if !errors.is_empty() {
        return Ok(Effect::Answer(ServerMsg::SettingsRejected { errors }));
    }
    Ok(Effect::Background(Box::new(move |answers| {
        test_connection(engine, settings, password, send_test_mail, answers).boxed()
    })))
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use futures_channel::mpsc;
    use shared::classroom::SessionView;
    use shared::protocol::ErrorCode;
    use tokio_util::sync::CancellationToken;

    use super::*;

    fn text(s: &str) -> Message {
        Message::Text(s.into())
    }

    fn decode(frame: Message) -> ServerMsg {
        match frame {
            Message::Text(t) => ServerMsg::decode(&t).unwrap(),
            other => panic!("expected text, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn answers_follow_the_protocol() {
        let simulation = crate::simulation::without_parts(CancellationToken::new());
        let (later, _answers) = tokio::sync::mpsc::channel(1);
        let answer = |frame| {
            perform(
                answer(frame, &simulation, &Seat::Single(SessionView::default())),
                &later,
                &simulation,
            )
        };
        assert_eq!(
            answer(text(
                &ClientMsg::Hello {
                    protocol: PROTOCOL_VERSION
                }
                .encode()
            )),
            None
        );
        assert_eq!(
            answer(text(r#"{"type":"ping","nonce":5}"#)),
            Some(ServerMsg::Pong { nonce: 5 })
        );
        let Some(ServerMsg::Error(err)) = answer(text(r#"{"type":"hello","protocol":99}"#)) else {
            panic!("a wrong version must be an error")
        };
        assert_eq!(err.code, ErrorCode::UnsupportedProtocol);
        let Some(ServerMsg::Error(err)) = answer(text("{oops")) else {
            panic!("garbage must be an error")
        };
        assert_eq!(err.code, ErrorCode::MalformedMessage);
        let Some(ServerMsg::Error(err)) = answer(Message::Binary(vec![1, 2].into())) else {
            panic!("binary must be an error")
        };
        assert_eq!(err.code, ErrorCode::BinaryFrame);
        assert_eq!(answer(Message::Ping(vec![].into())), None);
        let set = ClientMsg::SetSandboxPolicy {
            policy: Default::default(),
        };
        let Some(ServerMsg::Error(err)) = answer(text(&set.encode())) else {
            panic!("no sandbox, no policy")
        };
        assert_eq!(err.code, ErrorCode::NotAvailable);
    }

    #[tokio::test]
    async fn a_session_greets_answers_and_says_goodbye_on_shutdown() {
        let cancel = CancellationToken::new();
        let simulation = crate::simulation::without_parts(cancel.clone());
        let (out_tx, mut out_rx) = mpsc::unbounded::<Message>();
        let (in_tx, in_rx) = mpsc::unbounded::<Result<Message, Infallible>>();
        let seat = Seat::Single(simulation.view().clone());
        let task = tokio::spawn(session(out_tx, in_rx, simulation.clone(), seat));

        assert!(matches!(
            decode(out_rx.next().await.unwrap()),
            ServerMsg::Welcome { .. }
        ));
        assert!(matches!(
            decode(out_rx.next().await.unwrap()),
            ServerMsg::Session(_)
        ));
        let ServerMsg::Status(status) = decode(out_rx.next().await.unwrap()) else {
            panic!("a status snapshot must follow the welcome")
        };
        assert_eq!(status.clients, 1);

        in_tx.unbounded_send(Ok(text("nonsense"))).unwrap();
        in_tx
            .unbounded_send(Ok(text(r#"{"type":"ping","nonce":42}"#)))
            .unwrap();
        let mut answers = Vec::new();
        while answers.len() < 2 {
            match decode(out_rx.next().await.unwrap()) {
                ServerMsg::Status(_) => {}
                other => answers.push(other),
            }
        }
        assert!(
            matches!(&answers[0], ServerMsg::Error(e) if e.code == ErrorCode::MalformedMessage)
        );
        assert_eq!(answers[1], ServerMsg::Pong { nonce: 42 });

        cancel.cancel();
        loop {
            match out_rx.next().await.unwrap() {
                Message::Close(Some(frame)) => {
                    assert_eq!(frame.code, close_code::AWAY);
                    break;
                }
                Message::Text(_) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        task.await.unwrap();
        assert_eq!(simulation.subscribe().borrow().clients, 0);
    }

    #[tokio::test]
    async fn a_watcher_is_told_its_session_and_refused_a_change() {
        let cancel = CancellationToken::new();
        let simulation = crate::simulation::without_parts(cancel.clone());
        let (out_tx, mut out_rx) = mpsc::unbounded::<Message>();
        let (in_tx, in_rx) = mpsc::unbounded::<Result<Message, Infallible>>();
        let seat = Seat::watcher(crate::web::seat::joined_view("佐藤"));
        let task = tokio::spawn(session(out_tx, in_rx, simulation, seat));

        assert!(matches!(
            decode(out_rx.next().await.unwrap()),
            ServerMsg::Welcome { .. }
        ));
        let ServerMsg::Session(told) = decode(out_rx.next().await.unwrap()) else {
            panic!("the session view must follow the welcome")
        };
        assert!(told.read_only && !told.isp_panel);
        assert_eq!(told.joined.unwrap().name, "佐藤");

        in_tx
            .unbounded_send(Ok(text(&ClientMsg::SetTimeScale { scale: 2 }.encode())))
            .unwrap();
        in_tx
            .unbounded_send(Ok(text(r#"{"type":"ping","nonce":3}"#)))
            .unwrap();
        let mut answers = Vec::new();
        while answers.len() < 2 {
            let msg = decode(out_rx.next().await.unwrap());
            if !msg.is_push() {
                answers.push(msg);
            }
        }
        assert_eq!(answers[0], ServerMsg::Error(ProtocolError::read_only()));
        assert_eq!(answers[1], ServerMsg::Pong { nonce: 3 });
        cancel.cancel();
        task.await.unwrap();
    }
}
