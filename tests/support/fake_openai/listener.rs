//! The fake's listener: hands connections to axum, except those `LlmFault::Reset` asks to drop —
//! those are read up to the end of the request head and reset (RST), with no response at all.

use std::{
    io,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use serde_json::Value;
use tokio::{
    io::AsyncReadExt,
    net::{TcpListener, TcpStream},
};

use super::{Inner, LlmFault, LlmRequest};

pub(super) struct ResettingListener {
    pub inner: TcpListener,
    pub state: Arc<Mutex<Inner>>,
}

impl axum::serve::Listener for ResettingListener {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (TcpStream, SocketAddr) {
        loop {
            let Ok((sock, addr)) = self.inner.accept().await else {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            };
            if take_reset(&self.state) {
                tokio::spawn(reset(sock));
                continue;
            }
            return (sock, addr);
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// Consume one pending `Reset` fault, recording the dropped request.
fn take_reset(state: &Mutex<Inner>) -> bool {
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    match &mut s.settings.fault {
        Some((LlmFault::Reset, n)) if *n > 0 => *n -= 1,
        _ => return false,
    }
    s.requests.push(LlmRequest {
        at: Instant::now(),
        body: Value::Null,
        authorization: None,
        fault: Some(LlmFault::Reset),
    });
    true
}

/// Read until the end of the request head (so the client has sent its request), then reset.
async fn reset(mut sock: TcpStream) {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let read_head = async {
        while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
            match sock.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), read_head).await;
    let _ = sock.set_zero_linger();
    drop(sock);
}
