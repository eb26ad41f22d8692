//! The class mode on the web, against the real back end: what a page is told it is, joining
//! (and the refusals, each in both languages), a trainee's socket by cookie with the ISP left to
//! the instructor, and the instructor's page: its key, the class list, requests, and a
//! trainee's screens watched read-only. curl plays the page's `fetch`.

mod common;

use common::classroom::Instructor;
use common::http::{self, Reply};
use common::{Backend, Client};
use shared::classroom::{ClassMsg, InstructorMsg, SessionInfo, SessionView};
use shared::protocol::{ErrorCode, ProtocolError};
use shared::transcript::Notice;
use shared::{ClientMsg, ServerMsg};
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

const KEY: &str = "instructor-key-0123456789";

async fn class_a() -> Backend {
    Backend::start(|config| {
        config.classroom.classes = vec!["A".into()];
        config.classroom.instructor_token = Some(KEY.into());
        config.exercises = Some(concat!(env!("CARGO_MANIFEST_DIR"), "/../exercises").into());
    })
    .await
}

async fn session_info(server: &Backend, cookies: &str) -> SessionInfo {
    let url = format!("http://{}/api/session", server.addr);
    let cookie = format!("Cookie: {cookies}");
    let args: &[&str] = if cookies.is_empty() {
        &[&url]
    } else {
        &["-H", &cookie, &url]
    };
    let reply = http::request(args).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    serde_json::from_str(&reply.body).expect("SessionInfo")
}

/// A join from the page's own origin with `body` as it is sent.
async fn join_raw(server: &Backend, body: &str) -> Reply {
    let url = format!("http://{}/api/join", server.addr);
    let origin = format!("Origin: {}", server.origin());
    let args = [
        "-H",
        &origin,
        "-H",
        "Content-Type: application/json",
        "--data",
        body,
        &url,
    ];
    http::request(&args).await
}

async fn join(server: &Backend, class: &str, name: &str) -> Reply {
    join_raw(server, &format!(r#"{{"class":"{class}","name":"{name}"}}"#)).await
}

/// A refusal: its status, with a notice in both languages.
fn refused(reply: &Reply, status: u16) -> Notice {
    assert_eq!(reply.status, status, "{reply:?}");
    assert!(reply.set_cookies.is_empty(), "{reply:?}");
    let notice: Notice = serde_json::from_str(&reply.body).expect("a notice");
    assert!(!notice.ja.is_empty() && !notice.en.is_empty() && notice.ja != notice.en);
    notice
}

/// The page's socket at `path` with `cookies`.
async fn page(server: &Backend, path: &str, cookies: &str) -> Result<Client, WsError> {
    let mut request = format!("ws://{}{path}", server.addr)
        .into_client_request()
        .unwrap();
    let headers = request.headers_mut();
    headers.insert("Origin", HeaderValue::from_str(&server.origin()).unwrap());
    if !cookies.is_empty() {
        headers.insert("Cookie", HeaderValue::from_str(cookies).unwrap());
    }
    Client::connect(request).await
}

fn status_of(result: Result<Client, WsError>) -> u16 {
    match result {
        Err(WsError::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("expected an HTTP refusal, got {other}"),
        Ok(_) => panic!("expected a refusal, the socket opened"),
    }
}

/// The welcome, then the session view the page is told.
async fn greeting(client: &mut Client) -> SessionView {
    assert!(matches!(client.next_msg().await, ServerMsg::Welcome { .. }));
    let ServerMsg::Session(view) = client.next_msg().await else {
        panic!("the session view follows the welcome")
    };
    *view
}

async fn refusal(client: &mut Client, msg: ClientMsg) -> ProtocolError {
    client.send(msg).await;
    match client.next_answer().await {
        ServerMsg::Error(error) => error,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn without_a_class_the_page_is_everyones_and_nobody_joins() {
    let server = Backend::start(|_| {}).await;
    assert_eq!(session_info(&server, "").await, SessionInfo::Single);
    refused(&join(&server, "A", "山田").await, 404);
    // The socket needs no cookie and says the ISP panel is the page's.
    let mut client = page(&server, "/ws", "").await.unwrap();
    let view = greeting(&mut client).await;
    assert!(view.joined.is_none() && view.isp_panel && !view.read_only);
}

#[tokio::test]
async fn a_trainee_joins_once_by_name_and_returns_by_cookie() {
    let server = class_a().await;
    assert_eq!(
        session_info(&server, "").await,
        SessionInfo::Class { joined: None }
    );
    assert_eq!(status_of(page(&server, "/ws", "").await), 401);
    assert_eq!(
        status_of(page(&server, "/ws", "kx_session=0123456789abcdef").await),
        401
    );

    let joined = join(&server, "A", " 山田 ").await;
    assert_eq!(joined.status, 200, "{joined:?}");
    let cookies = joined.cookies();
    let SessionInfo::Class {
        joined: Some(place),
    } = session_info(&server, &cookies).await
    else {
        panic!("the cookie names the trainee")
    };
    assert_eq!((place.class.as_str(), place.name.as_str()), ("A", "山田"));

    refused(&join(&server, "A", "山田").await, 409);
    refused(&join(&server, "Z", "佐藤").await, 404);
    refused(&join(&server, "A", "  ").await, 422);
    refused(&join_raw(&server, "{not json").await, 400);

    let mut trainee = page(&server, "/ws", &cookies).await.unwrap();
    let view = greeting(&mut trainee).await;
    assert_eq!(view.joined, Some(place));
    assert!(!view.read_only && !view.isp_panel, "{view:?}");
    assert!(view.client_addresses.is_some(), "{view:?}");
    let policy = ClientMsg::SetSandboxPolicy {
        policy: Default::default(),
    };
    assert_eq!(
        refusal(&mut trainee, policy).await,
        ProtocolError::instructor_only()
    );
    let switch = ClientMsg::SetInstructor { on: true };
    assert_eq!(
        refusal(&mut trainee, switch).await,
        ProtocolError::instructor_only()
    );
    trainee.send(ClientMsg::Ping { nonce: 1 }).await;
    assert_eq!(trainee.next_answer().await, ServerMsg::Pong { nonce: 1 });
}

#[tokio::test]
async fn the_instructor_needs_the_key_and_watches_a_trainee_read_only() {
    let server = class_a().await;
    let url = |key: &str| format!("ws://{}/ws/instructor?key={key}", server.addr);
    for wrong in [
        url("wrong-key-0123456789"),
        format!("ws://{}/ws/instructor", server.addr),
    ] {
        let result = Instructor::connect(&wrong, &server.origin()).await;
        assert!(
            matches!(&result, Err(WsError::Http(r)) if r.status() == 401),
            "{wrong}"
        );
    }
    let foreign = Instructor::connect(&url(KEY), "http://evil.example").await;
    assert!(matches!(&foreign, Err(WsError::Http(r)) if r.status() == 403));

    let mut instructor = Instructor::connect(&url(KEY), &server.origin())
        .await
        .unwrap();
    let ClassMsg::Welcome { classes, exercises } = instructor.next().await else {
        panic!("the welcome comes first")
    };
    assert_eq!(classes, ["A"]);
    assert!(!exercises.is_empty());
    assert!(matches!(instructor.next().await, ClassMsg::Class { trainees } if trainees.is_empty()));

    let joined = join(&server, "A", "山田").await;
    let mut trainee = page(&server, "/ws", &joined.cookies()).await.unwrap();
    greeting(&mut trainee).await;
    let row = instructor.trainee_on_page("山田").await;
    assert_eq!(row.from, "127.0.0.1");

    let watch = |id: &str, key: &str| format!("/ws?watch={id}&key={key}");
    assert_eq!(
        status_of(page(&server, &watch(&row.id, "wrong-key-0123456789"), "").await),
        401
    );
    assert_eq!(
        status_of(page(&server, &watch("nobody", KEY), "").await),
        404
    );
    let mut watcher = page(&server, &watch(&row.id, KEY), "").await.unwrap();
    let view = greeting(&mut watcher).await;
    assert!(view.read_only && !view.isp_panel, "{view:?}");
    assert_eq!(view.joined.map(|j| j.name).as_deref(), Some("山田"));
    for change in [
        ClientMsg::ReceiveNow,
        ClientMsg::ResetSimulation,
        ClientMsg::SetTimeScale { scale: 2 },
    ] {
        assert_eq!(
            refusal(&mut watcher, change).await,
            ProtocolError::read_only()
        );
    }
    watcher.send(ClientMsg::GetRecord).await;
    assert!(matches!(
        watcher.next_answer().await,
        ServerMsg::Record { .. }
    ));

    // Requests: a wrong name is the request's fault; the records name the trainee.
    instructor
        .send(InstructorMsg::GetRecords { class: "Z".into() })
        .await;
    let ClassMsg::Error(error) = instructor.answer().await else {
        panic!("an unknown class is an error")
    };
    assert_eq!(error.code, ErrorCode::InvalidRequest);
    instructor
        .send(InstructorMsg::PushExercise {
            class: "A".into(),
            exercise: exercises[0].id.clone(),
        })
        .await;
    assert_eq!(instructor.answer().await, ClassMsg::Done { trainees: 1 });
    instructor
        .send(InstructorMsg::GetRecords { class: "A".into() })
        .await;
    let ClassMsg::Records { class, json_lines } = instructor.answer().await else {
        panic!("the records answer")
    };
    assert_eq!(class, "A");
    assert!(json_lines.contains("山田"), "{json_lines}");
}
