//! The "Follow up" button under every answer: it opens a modal (one text input) asking for the
//! follow-up question; the submission is deferred and answered into its own response as a
//! continuation of the answer (`App::ask_follow_up`), streamed like /ask. The /ask rate limit
//! applies. A modal or button id this version does not make is told it expired.

use poise::serenity_prelude as serenity;

use super::{call::Responder, render, respond, Data, EXPIRED_COMPONENT};

/// The button: answer with the modal (Discord allows a modal as the first response to a button).
/// `mod.rs` routes only ids `render::parse_followup_id` reads here.
pub(super) async fn on_button(reply: &Responder<'_>, c: &serenity::ComponentInteraction) {
    let id = &c.data.custom_id;
    let response = match render::parse_followup_id(id) {
        Some(answer_id) => render::followup_modal(answer_id),
        None => render::component_ephemeral(EXPIRED_COMPONENT),
    };
    respond::component(reply, id, response).await;
}

/// A submitted modal, whichever transport delivered it. Only the follow-up modal is ours;
/// anything else is told it expired.
pub(super) async fn on_submit(reply: &Responder<'_>, data: &Data, m: &serenity::ModalInteraction) {
    let id = &m.data.custom_id;
    let Some(answer_id) = render::parse_followup_modal_id(id) else {
        tracing::debug!(custom_id = %id, "unknown modal: answering that it expired");
        respond::component(reply, id, render::component_ephemeral(EXPIRED_COMPONENT)).await;
        return;
    };
    let question = match submitted_question(m) {
        Ok(q) => q,
        Err(message) => {
            respond::component(reply, id, render::component_ephemeral(&message)).await;
            return;
        }
    };
    if let Err(wait) = data.limiter.check(&data.app, m.user.id.get()).await {
        let slow = render::component_ephemeral(&render::slow_down(wait));
        respond::component(reply, id, slow).await;
        return;
    }
    // A follow-up to an answer only its asker sees is seen by them only, too.
    let private = m.message.as_ref().is_some_and(|msg| {
        msg.flags
            .is_some_and(|f| f.contains(serenity::MessageFlags::EPHEMERAL))
    });
    if !respond::component(reply, id, render::defer(private)).await {
        return;
    }
    let http = data.stream_http(reply.http);
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let answering = data.app.ask_follow_up(answer_id, &question, Some(&tx));
    // Streamed into the submission's own response, as /ask streams into its.
    respond::stream_answer(&http, &m.token, &question, rx, answering).await;
}

/// The text typed into the modal's input, checked as Discord should have (a client may send
/// anything): present, not blank, at most `FOLLOWUP_MAX` characters.
fn submitted_question(m: &serenity::ModalInteraction) -> Result<String, String> {
    let typed = m
        .data
        .components
        .iter()
        .flat_map(|row| &row.components)
        .find_map(|c| match c {
            serenity::ActionRowComponent::InputText(t) if t.custom_id == render::FOLLOWUP_INPUT => {
                t.value.clone()
            }
            _ => None,
        });
    check_question(typed.as_deref())
}

fn check_question(typed: Option<&str>) -> Result<String, String> {
    let question = typed.map(str::trim).unwrap_or_default();
    if question.is_empty() {
        return Err("Type a follow-up question, then send it.".to_string());
    }
    let chars = question.chars().count();
    if chars > render::FOLLOWUP_MAX {
        return Err(format!(
            "That follow-up is {chars} characters long; keep it to {} and try again.",
            render::FOLLOWUP_MAX
        ));
    }
    Ok(question.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_typed_question_is_checked() {
        assert_eq!(
            check_question(Some("  and why? ")).as_deref(),
            Ok("and why?")
        );
        for bad in [None, Some(""), Some(" \n ")] {
            let e = check_question(bad).unwrap_err();
            assert!(e.contains("Type a follow-up"), "{e}");
        }
        let long = "é".repeat(501);
        let e = check_question(Some(&long)).unwrap_err();
        assert!(e.contains("501 characters") && e.contains("500"), "{e}");
        assert!(check_question(Some(&"é".repeat(500))).is_ok());
    }
}
