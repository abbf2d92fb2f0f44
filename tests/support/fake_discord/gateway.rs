//! The gateway half: HELLO → IDENTIFY → READY, heartbeats, RESUME (with replay), dispatches, and
//! the faults a test asks for (close frames, bare TCP drops, invalid sessions).

use std::{sync::Arc, time::Instant};

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::mpsc,
};
use tokio_tungstenite::{
    tungstenite::{
        protocol::{frame::coding::CloseCode, CloseFrame},
        Message,
    },
    WebSocketStream,
};

use super::{
    payloads,
    state::{Connection, GatewayCommand, GatewayFrame, ResumePolicy, Shared},
};

#[derive(Clone)]
pub(crate) struct GatewayCfg {
    pub shared: Arc<Shared>,
    pub ws_url: String,
    pub heartbeat_interval_ms: u64,
}

pub(crate) async fn serve(listener: TcpListener, cfg: GatewayCfg) {
    while let Ok((tcp, _)) = listener.accept().await {
        let cfg = cfg.clone();
        tokio::spawn(async move {
            if let Ok(ws) = tokio_tungstenite::accept_async(tcp).await {
                connection(ws, cfg).await;
            }
        });
    }
}

type Ws = WebSocketStream<TcpStream>;

async fn send(ws: &mut Ws, v: &Value) -> bool {
    ws.send(Message::Text(v.to_string())).await.is_ok()
}

/// Assign the next sequence number, remember the event for RESUME replay, and build the frame.
fn sequenced(shared: &Shared, t: &str, d: Value) -> Value {
    let mut s = shared.lock();
    s.seq += 1;
    let seq = s.seq;
    let frame = json!({"op": 0, "t": t, "s": seq, "d": d});
    s.sent_log.push((seq, frame.clone()));
    frame
}

async fn connection(mut ws: Ws, cfg: GatewayCfg) {
    let shared = &cfg.shared;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let id = {
        let mut s = shared.lock();
        let id = s.connections.len() as u64 + 1;
        s.connections.push(Connection {
            id,
            opened_at: Instant::now(),
            closed_at: None,
            kind: None,
            resume_outcome: None,
        });
        s.senders.insert(id, tx.clone());
        s.live = Some((id, tx));
        s.live_ready = false;
        id
    };
    let hello = json!({"op": 10, "d": {"heartbeat_interval": cfg.heartbeat_interval_ms}});
    if !send(&mut ws, &hello).await {
        return finish(shared, id, &mut rx);
    }
    let mut close_code = None;
    loop {
        tokio::select! {
            msg = ws.next() => {
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Binary(b))) => String::from_utf8_lossy(&b).into_owned(),
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => continue,
                };
                let Ok(payload) = serde_json::from_str::<Value>(&text) else { continue };
                let op = payload["op"].as_u64().unwrap_or(u64::MAX);
                shared.lock().frames.push(GatewayFrame { connection: id, at: Instant::now(), op, payload: payload.clone() });
                let ok = match op {
                    1 => send(&mut ws, &json!({"op": 11})).await,
                    2 => identify(&mut ws, &cfg, id, &payload["d"]).await,
                    6 => resume(&mut ws, &cfg, id, &payload["d"]).await,
                    _ => true,
                };
                if !ok { break; }
            }
            cmd = rx.recv() => {
                let Some(cmd) = cmd else { break };
                match cmd {
                    GatewayCommand::Dispatch { t, d } => {
                        let frame = sequenced(shared, &t, d);
                        if !send(&mut ws, &frame).await { break; }
                    }
                    GatewayCommand::Close(code) => {
                        close_code = Some(code);
                        break;
                    }
                    GatewayCommand::DropTcp => break,
                    GatewayCommand::InvalidSession(resumable) => {
                        if !send(&mut ws, &json!({"op": 9, "d": resumable})).await { break; }
                    }
                    GatewayCommand::Reconnect => {
                        if !send(&mut ws, &json!({"op": 7, "d": null})).await { break; }
                    }
                }
            }
        }
    }
    // Hand undelivered dispatches on *before* the client can see the connection end, so a fast
    // reconnect cannot go live ahead of them.
    finish(shared, id, &mut rx);
    if let Some(code) = close_code {
        let frame = CloseFrame {
            code: CloseCode::from(code),
            reason: "fake discord closed the session".into(),
        };
        let _ = ws.close(Some(frame)).await;
    }
    drop(ws);
}

/// Mark the connection closed and keep any dispatch that never went out for the next session.
fn finish(shared: &Shared, id: u64, rx: &mut mpsc::UnboundedReceiver<GatewayCommand>) {
    let mut s = shared.lock();
    if let Some(c) = s.connections.iter_mut().find(|c| c.id == id) {
        c.closed_at = Some(Instant::now());
    }
    if s.live.as_ref().is_some_and(|(live, _)| *live == id) {
        s.live = None;
        s.live_ready = false;
    }
    while let Ok(cmd) = rx.try_recv() {
        if let GatewayCommand::Dispatch { t, d } = cmd {
            // Another connection may already be live (the client reconnected very fast).
            let forwarded = s.live_ready
                && s.live.as_ref().is_some_and(|(_, tx)| {
                    tx.send(GatewayCommand::Dispatch {
                        t: t.clone(),
                        d: d.clone(),
                    })
                    .is_ok()
                });
            if !forwarded {
                s.pending.push((t, d));
            }
        }
    }
}

fn shard_of(d: &Value) -> Value {
    d.get("shard").cloned().unwrap_or(json!([0, 1]))
}

async fn identify(ws: &mut Ws, cfg: &GatewayCfg, id: u64, d: &Value) -> bool {
    let session = format!("fake-session-{}", cfg.shared.snowflake());
    {
        let mut s = cfg.shared.lock();
        s.identifies.push(d.clone());
        s.connection_shards.insert(id, shard_of(d));
        if let Some(c) = s.connections.iter_mut().find(|c| c.id == id) {
            c.kind = Some("identify");
        }
        s.session_id = Some(session.clone());
        s.seq = 0;
        s.sent_log.clear();
    }
    let ready = sequenced(
        &cfg.shared,
        "READY",
        payloads::ready(&session, &cfg.ws_url, &shard_of(d)),
    );
    send(ws, &ready).await && go_live(ws, cfg, id).await
}

async fn resume(ws: &mut Ws, cfg: &GatewayCfg, id: u64, d: &Value) -> bool {
    let (accept, replay) = {
        let mut s = cfg.shared.lock();
        s.resumes.push(d.clone());
        let accept = s.resume_policy == ResumePolicy::Accept
            && s.session_id.as_deref() == d["session_id"].as_str();
        if let Some(c) = s.connections.iter_mut().find(|c| c.id == id) {
            c.kind = Some("resume");
            c.resume_outcome = Some(if accept { "resumed" } else { "invalid_session" });
        }
        let after = d["seq"].as_u64().unwrap_or(0);
        let replay: Vec<Value> = s
            .sent_log
            .iter()
            .filter(|(seq, _)| *seq > after)
            .map(|(_, f)| f.clone())
            .collect();
        (accept, replay)
    };
    if !accept {
        return send(ws, &json!({"op": 9, "d": false})).await;
    }
    for frame in &replay {
        if !send(ws, frame).await {
            return false;
        }
    }
    let resumed = sequenced(&cfg.shared, "RESUMED", json!({}));
    send(ws, &resumed).await && go_live(ws, cfg, id).await
}

/// Mark the session ready and flush the dispatches queued while there was none.
async fn go_live(ws: &mut Ws, cfg: &GatewayCfg, id: u64) -> bool {
    let pending = {
        let mut s = cfg.shared.lock();
        if s.live.as_ref().is_some_and(|(live, _)| *live == id) {
            s.live_ready = true;
        }
        std::mem::take(&mut s.pending)
    };
    for (t, d) in pending {
        let frame = sequenced(&cfg.shared, &t, d);
        if !send(ws, &frame).await {
            return false;
        }
    }
    true
}
