//! Whom a `/ws` socket serves — everyone's simulation, a trainee's, or the instructor watching
//! one — and so what the page may change and what it is told about its session. Choosing the
//! seat of a class socket (the cookie, or the watch key) lives here too; the rule of what a seat
//! may ask is pure and tested.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use shared::ClientMsg;
use shared::classroom::SessionView;
use shared::protocol::ProtocolError;

use super::caller::Caller;
use super::instructor::WRONG_KEY;
use super::ws::WsQuery;
use crate::classroom::Classroom;
use crate::simulation::Simulation;

/// Whom a socket serves, which decides what it may change; each carries what the page is told
/// about its session right after the welcome.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Seat {
    /// Everyone's one simulation (no class).
    Single(SessionView),
    /// A trainee in a class, on their own simulation: the ISP is the instructor's.
    Trainee(SessionView),
    /// The instructor watching a trainee's simulation: nothing may change.
    Watcher(SessionView),
}

impl Seat {
    /// In a class, the simulation a socket serves and its seat: the instructor watching a
    /// trainee (`?watch=ID&key=KEY`), or the trainee of the session cookie; else the refusal.
    pub(super) async fn in_class(
        classroom: &Classroom,
        query: &WsQuery,
        caller: &Caller,
    ) -> Result<(Simulation, Seat), Response> {
        if let Some(id) = &query.watch {
            if !query
                .key
                .as_deref()
                .is_some_and(|k| classroom.key_matches(k))
            {
                tracing::warn!("refused to watch a trainee: wrong key");
                return Err((StatusCode::UNAUTHORIZED, WRONG_KEY).into_response());
            }
            let simulation = classroom.watch(id).await.ok_or_else(|| {
                let text = "その研修生はいません。\nThere is no such trainee.";
                (StatusCode::NOT_FOUND, text).into_response()
            })?;
            let seat = Seat::watcher(simulation.view().clone());
            return Ok((simulation, seat));
        }
        let entered = match &caller.session {
            Some(secret) => classroom.enter(secret, caller.from).await,
            None => None,
        };
        let simulation = entered.ok_or_else(|| {
            let text = "クラスに参加していません。クラスコードと名前を入力して参加してください。\n\
                        You have not joined the class; enter the class code and your name to join.";
            (StatusCode::UNAUTHORIZED, text).into_response()
        })?;
        let seat = Seat::trainee(simulation.view().clone());
        Ok((simulation, seat))
    }

    /// A trainee's seat on their simulation's `view`.
    pub(super) fn trainee(view: SessionView) -> Seat {
        Seat::Trainee(SessionView {
            read_only: false,
            isp_panel: false,
            ..view
        })
    }

    /// The instructor's seat watching the simulation of `view`.
    pub(super) fn watcher(view: SessionView) -> Seat {
        Seat::Watcher(SessionView {
            read_only: true,
            isp_panel: false,
            ..view
        })
    }

    /// What the page is told about its session.
    pub(super) fn view(&self) -> &SessionView {
        match self {
            Seat::Single(view) | Seat::Trainee(view) | Seat::Watcher(view) => view,
        }
    }

    /// Why this seat may not ask `msg`, if it may not.
    pub(super) fn refusal(&self, msg: &ClientMsg) -> Option<ProtocolError> {
        match (self, msg) {
            (Seat::Single(_), _) => None,
            (
                Seat::Watcher(_),
                ClientMsg::Hello { .. } | ClientMsg::Ping { .. } | ClientMsg::GetRecord,
            ) => None,
            (Seat::Watcher(_), _) => Some(ProtocolError::read_only()),
            (
                Seat::Trainee(_),
                ClientMsg::SetSandboxPolicy { .. } | ClientMsg::SetInstructor { .. },
            ) => Some(ProtocolError::instructor_only()),
            (Seat::Trainee(_), _) => None,
        }
    }
}

/// The view of `name`'s simulation in class A, before a seat narrows it: for the tests of seats.
#[cfg(test)]
pub(super) fn joined_view(name: &str) -> SessionView {
    SessionView {
        joined: Some(shared::classroom::Joined {
            class: "A".into(),
            name: name.into(),
        }),
        read_only: false,
        isp_panel: true,
        client_addresses: None,
    }
}

#[cfg(test)]
mod tests {
    use shared::protocol::PROTOCOL_VERSION;

    use super::*;

    #[test]
    fn a_watcher_changes_nothing_and_a_trainee_leaves_the_isp_to_the_instructor() {
        let policy = ClientMsg::SetSandboxPolicy {
            policy: Default::default(),
        };
        let instructor = ClientMsg::SetInstructor { on: true };
        let reads = [
            ClientMsg::Hello {
                protocol: PROTOCOL_VERSION,
            },
            ClientMsg::Ping { nonce: 1 },
            ClientMsg::GetRecord,
        ];
        let changes = [
            ClientMsg::Restart,
            ClientMsg::ReceiveNow,
            ClientMsg::PhoneCheck,
            ClientMsg::ResetSimulation,
            ClientMsg::SetTimeScale { scale: 2 },
            policy.clone(),
            instructor.clone(),
        ];
        let single = Seat::Single(SessionView::default());
        let watcher = Seat::watcher(joined_view("山田"));
        let trainee = Seat::trainee(joined_view("山田"));
        for msg in &reads {
            assert_eq!(watcher.refusal(msg), None, "{msg:?}");
            assert_eq!(trainee.refusal(msg), None, "{msg:?}");
        }
        for msg in &changes {
            assert_eq!(
                watcher.refusal(msg),
                Some(ProtocolError::read_only()),
                "{msg:?}"
            );
            assert_eq!(single.refusal(msg), None, "{msg:?}");
        }
        for msg in [&policy, &instructor] {
            assert_eq!(trainee.refusal(msg), Some(ProtocolError::instructor_only()));
        }
        assert_eq!(trainee.refusal(&ClientMsg::Restart), None);
        // Neither may use the ISP panel; only the watcher is read-only.
        let (w, t) = (watcher.view(), trainee.view());
        assert!(w.read_only && !w.isp_panel && !t.read_only && !t.isp_panel);
    }
}
