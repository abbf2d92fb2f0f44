//! Driving the fake: building interactions, dispatching gateway events, and arming faults.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{
    payloads, rest,
    state::{FaultRule, GatewayCommand},
    Actor, Dispatched, FakeDiscord, Fault, Interaction, RateLimits, ResumePolicy,
};

impl FakeDiscord {
    fn command_id(&self, name: &str) -> String {
        self.with(|s| {
            s.commands
                .values()
                .flatten()
                .find(|c| c["name"] == name)
                .and_then(|c| c["id"].as_str().map(String::from))
        })
        .unwrap_or_else(|| self.shared.snowflake())
    }

    pub(super) fn new_interaction(&self, kind: u64, data: Value, actor: &Actor) -> Interaction {
        let id = self.shared.snowflake();
        let token = format!("itok{id}");
        let payload = payloads::interaction(&id, &token, kind, data, actor);
        Interaction { id, token, payload }
    }

    /// Slash command (type 2). `options` in Discord's shape: `[{"name","type","value"}]`.
    pub fn command_interaction(&self, name: &str, options: Value, actor: &Actor) -> Interaction {
        self.command_interaction_with(name, options, None, actor)
    }

    /// Slash command with `data.resolved` (e.g. `{"attachments": {id: attachment}}`).
    pub fn command_interaction_with(
        &self,
        name: &str,
        options: Value,
        resolved: Option<Value>,
        actor: &Actor,
    ) -> Interaction {
        let data = payloads::command_data(&self.command_id(name), name, options, resolved);
        self.new_interaction(2, data, actor)
    }

    /// Autocomplete (type 4): mark the option being typed with `"focused": true`.
    pub fn autocomplete_interaction(
        &self,
        name: &str,
        options: Value,
        actor: &Actor,
    ) -> Interaction {
        let data = payloads::command_data(&self.command_id(name), name, options, None);
        self.new_interaction(4, data, actor)
    }

    /// Component (type 3) on `message`: a button (`values: None`) or string select (`Some`).
    pub fn component_interaction(
        &self,
        custom_id: &str,
        values: Option<Vec<String>>,
        message: Value,
        actor: &Actor,
    ) -> Interaction {
        let data = match &values {
            None => json!({"custom_id": custom_id, "component_type": 2}),
            Some(v) => json!({"custom_id": custom_id, "component_type": 3, "values": v}),
        };
        let mut i = self.new_interaction(3, data, actor);
        i.payload["message"] = message.clone();
        let mut s = self.shared.lock();
        s.messages
            .insert((i.token.clone(), "@original".into()), message);
        drop(s);
        i
    }

    /// A full Message object (for a component interaction's `message`).
    pub fn message(&self, fields: Value) -> Value {
        payloads::message(&self.shared.snowflake(), &fields)
    }

    /// Store a file the bot can download; returns the attachment object for `resolved`.
    pub fn add_attachment(&self, filename: &str, bytes: Vec<u8>) -> Value {
        let id = self.shared.snowflake();
        let name = format!("{id}-{filename}");
        let url = rest::attachment_url(&self.base_url, &name);
        let att = payloads::attachment(&id, filename, bytes.len(), &url);
        self.shared.lock().attachments.insert(name, bytes);
        att
    }

    /// Send INTERACTION_CREATE (queued until a session is ready).
    pub fn dispatch(&self, i: &Interaction) {
        self.record_dispatch(i);
        self.dispatch_event("INTERACTION_CREATE", i.payload.clone());
    }

    /// Remember `i` as sent now: its callback and token are accepted from here on.
    pub(crate) fn record_dispatch(&self, i: &Interaction) {
        {
            let mut s = self.shared.lock();
            s.token_to_interaction.insert(i.token.clone(), i.id.clone());
            let clock_at = s.clock;
            s.dispatched.insert(
                i.id.clone(),
                Dispatched {
                    id: i.id.clone(),
                    token: i.token.clone(),
                    kind: i.payload["type"].as_u64().unwrap_or(0),
                    at: Instant::now(),
                    clock_at,
                    payload: i.payload.clone(),
                },
            );
        }
    }

    /// Send any dispatch event (queued until a session is ready).
    pub fn dispatch_event(&self, t: &str, d: Value) {
        let mut s = self.shared.lock();
        if s.live_ready {
            if let Some((_, tx)) = &s.live {
                if tx
                    .send(GatewayCommand::Dispatch {
                        t: t.into(),
                        d: d.clone(),
                    })
                    .is_ok()
                {
                    return;
                }
            }
        }
        s.pending.push((t.into(), d));
    }

    // ---- faults ---------------------------------------------------------------------------

    /// The next `n` requests for which `matcher(method, path)` holds get `fault`
    /// (`path` without the `/api/v10` prefix).
    pub fn fail_next(
        &self,
        n: usize,
        matcher: impl Fn(&str, &str) -> bool + Send + Sync + 'static,
        fault: Fault,
    ) {
        self.shared.lock().faults.push(FaultRule {
            remaining: n,
            matcher: Box::new(matcher),
            fault,
        });
    }

    fn gateway_command(&self, cmd: GatewayCommand) -> bool {
        self.with(|s| s.live.as_ref().is_some_and(|(_, tx)| tx.send(cmd).is_ok()))
    }

    /// Send a close frame with `code` and end the connection. Returns false if none was live.
    pub fn close_gateway(&self, code: u16) -> bool {
        self.gateway_command(GatewayCommand::Close(code))
    }

    /// Drop the TCP stream without a close frame.
    pub fn drop_gateway_tcp(&self) -> bool {
        self.gateway_command(GatewayCommand::DropTcp)
    }

    /// Send op 9 (invalid session).
    pub fn invalidate_session(&self, resumable: bool) -> bool {
        self.gateway_command(GatewayCommand::InvalidSession(resumable))
    }

    /// Send op 7 (reconnect).
    pub fn request_reconnect(&self) -> bool {
        self.gateway_command(GatewayCommand::Reconnect)
    }

    pub fn set_resume_policy(&self, p: ResumePolicy) {
        self.shared.lock().resume_policy = p;
    }

    // ---- rate limits and the test clock ------------------------------------------------------

    /// Replace the enforced rate limits (windows already open keep their start).
    pub fn set_rate_limits(&self, limits: RateLimits) {
        self.shared.lock().rate_limits = limits;
    }

    /// Move the fake's clock forward (interaction tokens expire 15 min after dispatch) without
    /// sleeping.
    pub fn advance_clock(&self, by: Duration) {
        self.shared.lock().clock += by;
    }
}
