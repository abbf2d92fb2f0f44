//! Proof that the fake Discord runs modals as Discord does, with bodies sent straight at it (no
//! bot): a modal (callback 9) may answer a command or a component but not a MODAL_SUBMIT; its
//! body must be a `ModalInteractionCallbackRequest` (Discord's limits: title 45, label 45, input
//! lengths up to 4000); and the submission it builds carries what was typed.

use serde_json::{json, Value};

use crate::{
    bot::SECS,
    support::fake_discord::{Actor, FakeDiscord, Interaction},
};

async fn callback(fake: &FakeDiscord, i: &Interaction, body: Value) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(format!(
            "{}/api/v10/interactions/{}/{}/callback",
            fake.base_url(),
            i.id,
            i.token
        ))
        .header("authorization", format!("Bot {}", fake.token()))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("request to the fake");
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn modal(title: &str, input: Value) -> Value {
    json!({"type": 9, "data": {"custom_id": "fum:7", "title": title,
        "components": [{"type": 1, "components": [input]}]}})
}

fn input(max_length: u64) -> Value {
    json!({"type": 4, "custom_id": "question", "style": 2, "label": "Your question",
        "min_length": 1, "max_length": max_length, "required": true})
}

/// 400 Invalid Form Body with an error at `pointer`.
fn assert_invalid(what: &str, (status, body): (u16, Value), pointer: &str) {
    assert_eq!(
        (status, &body["code"]),
        (400, &json!(50035)),
        "{what}: {body}"
    );
    assert!(
        body["errors"]
            .pointer(pointer)
            .is_some_and(|e| e["_errors"].is_array()),
        "{what}: errors at {pointer}: {body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fake_runs_modals_like_discord() {
    let fake = FakeDiscord::start().await;
    let actor = Actor::member(11);
    let ok = modal(&"t".repeat(45), input(4000));
    // A command and a button may open a modal.
    let command = fake.command_interaction(
        "ask",
        json!([{"name": "question", "type": 3, "value": "q"}]),
        &actor,
    );
    fake.dispatch(&command);
    assert_eq!(
        callback(&fake, &command, ok.clone()).await.0,
        204,
        "{:?}",
        fake.invalid_bodies()
    );
    let opened = fake.wait_for_modal(&command.id, SECS(1)).await;
    assert_eq!(opened["custom_id"], "fum:7");
    let message = fake.message(json!({"content": "an answer"}));
    let press = fake.component_interaction("fu:7", None, message.clone(), &actor);
    fake.dispatch(&press);
    assert_eq!(callback(&fake, &press, ok.clone()).await.0, 204);

    // The submission carries the typed text and the message the button was on.
    let submit = fake.submit_modal(&press, &opened, &[("question", "and then?")], &actor);
    assert_eq!(submit.payload["type"], 5);
    assert_eq!(submit.payload["data"]["custom_id"], "fum:7");
    let field = &submit.payload["data"]["components"][0]["components"][0];
    assert_eq!(
        (&field["custom_id"], &field["value"]),
        (&json!("question"), &json!("and then?"))
    );
    assert_eq!(submit.payload["message"]["id"], message["id"]);
    fake.dispatch(&submit);
    // A modal cannot answer a modal; a deferral (then an edit of @original) can.
    let refused = callback(&fake, &submit, ok.clone()).await;
    assert_invalid("a modal answering a MODAL_SUBMIT", refused, "/type");
    let errors = fake.invalid_bodies();
    assert!(
        errors.last().is_some_and(|e| e
            .errors
            .to_string()
            .contains("INTERACTION_CALLBACK_TYPE_INVALID")),
        "{errors:?}"
    );
    assert_eq!(callback(&fake, &submit, json!({"type": 5})).await.0, 204);
    assert!(
        fake.original_message(&submit.token).is_some(),
        "the deferral made @original"
    );

    // Discord's limits on the modal's body.
    for (what, body, pointer) in [
        (
            "title of 46",
            modal(&"t".repeat(46), input(500)),
            "/data/title",
        ),
        (
            "input longer than 4000",
            modal("Follow up", input(4001)),
            "/data/components/0/components/0/max_length",
        ),
        (
            "no title",
            json!({"type": 9, "data": {"custom_id": "fum:7", "components": [{"type": 1, "components": [input(500)]}]}}),
            "/data/title",
        ),
        (
            "a button in a modal",
            modal(
                "Follow up",
                json!({"type": 2, "style": 1, "label": "x", "custom_id": "b"}),
            ),
            "/data/components/0/components/0/type",
        ),
    ] {
        let i = fake.command_interaction("ask", json!([]), &actor);
        fake.dispatch(&i);
        assert_invalid(what, callback(&fake, &i, body).await, pointer);
    }
}

#[test]
#[should_panic(expected = "would not send")]
fn the_client_does_not_send_more_than_the_input_allows() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let fake = FakeDiscord::start().await;
        let actor = Actor::member(12);
        let press = fake.component_interaction("fu:7", None, fake.message(json!({})), &actor);
        let opened = modal("Follow up", input(10))["data"].clone();
        fake.submit_modal(&press, &opened, &[("question", "eleven char")], &actor);
    });
}
