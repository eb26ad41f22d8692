//! What the trainer is told happened as a consequence: frame (3)'s states, the mails the
//! engine read, the mails the ISP stored, the points. The trainee's own actions are told by
//! [`super::actions`] as they are made.

use shared::points::PointSnapshot;
use shared::status::MailStatus;
use shared::training::Happening;
use tokio::sync::{broadcast, watch};

use super::Simulation;
use crate::sandbox::mailstore::Delivery;
use crate::training::Trainer;

/// The longest piece of a mail's text kept for the checks and the record.
const TEXT_KEPT: usize = 2000;

impl Simulation {
    /// Tells `trainer` the consequences as they happen, until the simulation shuts down.
    pub(super) async fn feed(self, trainer: Trainer) {
        let mut status = self.engine().map(|e| e.subscribe());
        let mut handled = self.engine().map(|e| e.subscribe_handled());
        let mut delivered = self.sandbox().map(|s| s.mail().subscribe());
        let mut points = self.plant().map(|p| p.subscribe());
        if let Some(points) = &mut points {
            trainer.observe(values(&points.borrow_and_update()));
        }
        let mut last: Option<MailStatus> = None;
        loop {
            // When several are waiting (the trainer was busy writing its record), they are
            // taken in the order they come about: the engine's state and the mails it read,
            // then the points those mails set, then the mails that went out as a result. A
            // random pick could tell a reply before the point it reports, and a step waiting
            // for the reply after the point would never see it.
            let happening = tokio::select! {
                biased;
                () = self.cancelled() => return,
                Some(state) = changed(&mut status) => {
                    shown(&state.status, &mut last).then_some(Happening::Status { status: state.status })
                }
                Some(mail) = next(&mut handled) => Some(Happening::Handled {
                    from: mail.from,
                    subject: mail.subject,
                    replied: mail.replied,
                }),
                Some(now) = changed(&mut points) => Some(values(&now)),
                Some(delivery) = next(&mut delivered) => delivery_of(&delivery),
            };
            if let Some(happening) = happening {
                trainer.observe(happening);
            }
        }
    }
}

/// True for a state worth telling: run, stop, wait or an error, unless it is the one told last
/// (a retry shows the same error again and again; the in-progress states only flash).
fn shown(status: &MailStatus, last: &mut Option<MailStatus>) -> bool {
    let settled = matches!(
        status,
        MailStatus::Run { .. } | MailStatus::Stop | MailStatus::Wait | MailStatus::Error { .. }
    );
    if !settled || last.as_ref() == Some(status) {
        return false;
    }
    *last = Some(status.clone());
    true
}

fn values(points: &[PointSnapshot]) -> Happening {
    Happening::Points {
        values: points.iter().map(|p| (p.id.clone(), p.value)).collect(),
    }
}

fn delivery_of(delivery: &Delivery) -> Option<Happening> {
    let mail = crate::mail::message::parse(&delivery.message)?;
    Some(Happening::Delivered {
        to: delivery.mailbox.clone(),
        from: mail.from.unwrap_or_default(),
        subject: mail.subject,
        text: mail.text.chars().take(TEXT_KEPT).collect(),
    })
}

/// The next value of a watched state, or never when there is none.
async fn changed<T: Clone>(receiver: &mut Option<watch::Receiver<T>>) -> Option<T> {
    if let Some(r) = receiver
        && r.changed().await.is_ok()
    {
        return Some(r.borrow_and_update().clone());
    }
    std::future::pending().await
}

/// The next broadcast value; a lag skips what was missed, a closed channel waits forever.
async fn next<T: Clone>(receiver: &mut Option<broadcast::Receiver<T>>) -> Option<T> {
    let Some(r) = receiver else {
        return std::future::pending().await;
    };
    loop {
        match r.recv().await {
            Ok(value) => return Some(value),
            Err(broadcast::error::RecvError::Lagged(skipped)) => {
                tracing::warn!(skipped, "training missed events");
            }
            Err(broadcast::error::RecvError::Closed) => return std::future::pending().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use shared::status::MailError;

    use super::*;

    #[test]
    fn only_new_settled_states_are_told() {
        let mut last = None;
        let error = MailStatus::Error {
            error: MailError::Timeout,
            detail: shared::transcript::Notice::same("25"),
        };
        let told: Vec<bool> = [
            MailStatus::Wait,
            MailStatus::PopConnect,
            MailStatus::Run { cycles: 1 },
            MailStatus::SmtpConnect,
            error.clone(),
            MailStatus::SmtpConnect,
            error,
            MailStatus::Run { cycles: 2 },
        ]
        .iter()
        .map(|s| shown(s, &mut last))
        .collect();
        assert_eq!(told, [true, false, true, false, true, false, false, true]);
    }
}
