//! The engine's POP3 client reading whatever a server sends: greeting, login, UIDL, LIST, RETR,
//! DELE and QUIT against the fuzz input as the server's octets. Every answer is bounded; the
//! client must end each step with a result or a clear error, never a panic or a hang.
#![no_main]

use std::time::Duration;

use backend::mailclient::pop3::{Options, Pop3Session};
use libfuzzer_sys::fuzz_target;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
    })
}

const OPTIONS: Options = Options {
    connect_timeout: Duration::from_secs(1),
    reply_timeout: Duration::from_secs(1),
    exchange_timeout: Duration::from_secs(2),
    session_timeout: Duration::from_secs(4),
    max_message: 16 * 1024,
    max_entries: 64,
};

fuzz_target!(|data: &[u8]| {
    runtime().block_on(async {
        // The server's octets, then end of stream; what the client writes is discarded.
        let stream = tokio::io::join(data, tokio::io::sink());
        let Ok(mut session) = Pop3Session::over(stream, OPTIONS).await else {
            return;
        };
        if session.login("karacrix", "karacrix-pass").await.is_err() {
            return;
        }
        if let Ok(ids) = session.uidl().await {
            assert!(ids.len() <= OPTIONS.max_entries);
        }
        if let Ok(sizes) = session.list().await {
            assert!(sizes.len() <= OPTIONS.max_entries);
        }
        if let Ok(message) = session.retr(1).await {
            assert!(message.len() <= OPTIONS.max_message);
        }
        let _ = session.dele(1).await;
        let _ = session.quit().await;
    });
});
