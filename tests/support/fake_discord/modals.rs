//! Modals, as Discord runs them: the bot answers a command or a component with a modal
//! (callback type 9, its body checked against `ModalInteractionCallbackRequest` like every body,
//! and refused as the answer to a MODAL_SUBMIT, see `interactions::fits`); the user's client shows
//! it and sends a MODAL_SUBMIT interaction (type 5) with what was typed.

use std::time::Duration;

use serde_json::{json, Value};

use super::{Actor, FakeDiscord, Interaction};

impl FakeDiscord {
    /// The modal (`data` of the accepted type-9 callback) the bot answered `interaction_id` with.
    pub async fn wait_for_modal(&self, interaction_id: &str, timeout: Duration) -> Value {
        let what = format!("a modal for interaction {interaction_id}");
        self.wait_until(&what, timeout, |s| {
            s.callbacks
                .iter()
                .find(|c| c.interaction_id == interaction_id && c.status == 204 && c.kind == 9)
                .map(|c| c.data.clone())
        })
        .await
    }

    /// A MODAL_SUBMIT (type 5) with `custom_id` and, per text input, `(custom_id, value)` in one
    /// action row each, as Discord sends them; `message` is the message whose component opened
    /// the modal (none when a slash command did).
    pub fn modal_submit_interaction(
        &self,
        custom_id: &str,
        fields: &[(&str, &str)],
        message: Option<Value>,
        actor: &Actor,
    ) -> Interaction {
        let rows: Vec<Value> = fields
            .iter()
            .enumerate()
            .map(|(i, (input, value))| {
                json!({"type": 1, "id": 2 * i + 1, "components": [
                    {"type": 4, "id": 2 * i + 2, "custom_id": input, "value": value}
                ]})
            })
            .collect();
        let data = json!({"custom_id": custom_id, "components": rows});
        let mut i = self.new_interaction(5, data, actor);
        if let Some(m) = message {
            i.payload["message"] = m;
        }
        i
    }

    /// What the user's client sends after typing `values` into `modal` (the `data` of a type-9
    /// callback) opened from `opened_by`: every text input of the modal, typed or left empty.
    /// The client enforces the inputs' limits, so a test typing past them is a mistake (panics).
    pub fn submit_modal(
        &self,
        opened_by: &Interaction,
        modal: &Value,
        values: &[(&str, &str)],
        actor: &Actor,
    ) -> Interaction {
        let mut fields: Vec<(String, String)> = Vec::new();
        let inputs = modal["components"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default());
        for input in inputs.filter(|c| c["type"] == 4) {
            let id = input["custom_id"].as_str().unwrap_or_default().to_string();
            let value = values
                .iter()
                .find(|(k, _)| *k == id)
                .map_or("", |(_, v)| *v)
                .to_string();
            let n = value.chars().count() as u64;
            let required = input["required"].as_bool().unwrap_or(true);
            let min = input["min_length"].as_u64().unwrap_or(0);
            let max = input["max_length"].as_u64().unwrap_or(4000);
            assert!(
                !(required && n == 0) && (n == 0 || n >= min) && n <= max,
                "Discord's client would not send {n} characters for input {id} ({input})"
            );
            fields.push((id, value));
        }
        assert!(!fields.is_empty(), "a modal with text inputs: {modal}");
        let custom_id = modal["custom_id"].as_str().unwrap_or_default();
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let message = opened_by.payload.get("message").cloned();
        self.modal_submit_interaction(custom_id, &pairs, message, actor)
    }
}
