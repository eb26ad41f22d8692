//! The instructor's page of a class, as a WebSocket client.

use futures_util::{SinkExt, StreamExt};
use shared::classroom::{ClassMsg, InstructorMsg, TraineeRow};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::WAIT;
use super::server::{Client, Socket};

/// The instructor's page on `/ws/instructor`.
pub struct Instructor(Socket);

impl Instructor {
    pub fn new(socket: Socket) -> Instructor {
        Instructor(socket)
    }

    /// Connects to `url` (`ws://…/ws/instructor?key=…`) with the page's `origin`.
    pub async fn connect(url: &str, origin: &str) -> Result<Instructor, WsError> {
        let mut request = url.into_client_request().unwrap();
        request
            .headers_mut()
            .insert("Origin", HeaderValue::from_str(origin).unwrap());
        Client::connect(request).await.map(|c| Instructor(c.socket))
    }

    pub async fn send(&mut self, msg: InstructorMsg) {
        self.0.send(Message::text(msg.encode())).await.unwrap();
    }

    pub async fn next(&mut self) -> ClassMsg {
        loop {
            let frame = timeout(WAIT, self.0.next())
                .await
                .expect("no class message in time")
                .expect("socket closed")
                .expect("socket failed");
            if let Message::Text(text) = frame {
                return ClassMsg::decode(&text).expect("a class message");
            }
        }
    }

    /// The next answer to a request, skipping class lists.
    pub async fn answer(&mut self) -> ClassMsg {
        loop {
            match self.next().await {
                ClassMsg::Class { .. } => {}
                answer => return answer,
            }
        }
    }

    /// Waits for a class list with trainee `name` and their page open.
    pub async fn trainee_on_page(&mut self, name: &str) -> TraineeRow {
        timeout(WAIT, async {
            loop {
                if let ClassMsg::Class { trainees } = self.next().await
                    && let Some(row) = trainees.into_iter().find(|t| t.name == name && t.pages > 0)
                {
                    return row;
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{name} never appeared in the class list"))
    }
}
