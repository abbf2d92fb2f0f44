//! The "Follow up" button under every answer and the modal it opens: custom ids (read strictly:
//! only what `followup_id` / `followup_modal_id` write is accepted; anything else is told it
//! expired), and the modal's payload within Discord's limits (title and label 45 characters,
//! placeholder 100).

use poise::serenity_prelude as serenity;
use serenity::{
    CreateActionRow, CreateInputText, CreateInteractionResponse, CreateModal, InputTextStyle,
};

/// The "Follow up" button's custom id, `fu:{answer_id}`.
pub fn followup_id(answer_id: i64) -> String {
    format!("fu:{answer_id}")
}

/// `fu:12` → 12; anything else (`fu:`, `fu:+12`, `fu:012`, `fu:12:x`) → `None`.
pub fn parse_followup_id(custom_id: &str) -> Option<i64> {
    answer_id_of(custom_id.strip_prefix("fu:")?)
}

/// The follow-up modal's custom id, `fum:{answer_id}` (its submission names the answer).
pub fn followup_modal_id(answer_id: i64) -> String {
    format!("fum:{answer_id}")
}

/// `fum:12` → 12, as strictly as `parse_followup_id`.
pub fn parse_followup_modal_id(custom_id: &str) -> Option<i64> {
    answer_id_of(custom_id.strip_prefix("fum:")?)
}

/// A positive answer id written as Discord gets it from us: digits only, no sign or leading zero.
fn answer_id_of(s: &str) -> Option<i64> {
    let digits = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && !s.starts_with('0');
    digits.then(|| s.parse().ok()).flatten()
}

/// Custom id of the modal's one text input.
pub const FOLLOWUP_INPUT: &str = "question";
/// Longest follow-up question, as for /ask.
pub const FOLLOWUP_MAX: usize = 500;

/// The modal the "Follow up" button opens: one required text input of at most 500 characters.
pub fn followup_modal(answer_id: i64) -> CreateInteractionResponse {
    let input = CreateInputText::new(
        InputTextStyle::Paragraph,
        "Your follow-up question",
        FOLLOWUP_INPUT,
    )
    .placeholder("e.g. And what did he say about teaching it?")
    .min_length(1)
    .max_length(FOLLOWUP_MAX as u16)
    .required(true);
    CreateInteractionResponse::Modal(
        CreateModal::new(followup_modal_id(answer_id), "Follow up")
            .components(vec![CreateActionRow::InputText(input)]),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn ids_are_read_strictly_and_the_modal_fits_discords_limits() {
        assert_eq!(parse_followup_id("fu:42"), Some(42));
        assert_eq!(parse_followup_modal_id(&followup_modal_id(42)), Some(42));
        for garbled in [
            "fu:",
            "fu:x",
            "fu:+42",
            "fu:042",
            "fu:-42",
            "fu:42:1",
            "fu:4 2",
            "fum:42",
            "fu:99999999999999999999",
        ] {
            assert_eq!(parse_followup_id(garbled), None, "{garbled}");
        }
        assert_eq!(parse_followup_modal_id("fu:42"), None);
        assert_eq!(parse_followup_modal_id("fum:"), None);
        let modal = serde_json::to_value(followup_modal(42)).unwrap();
        assert_eq!(modal["type"], 9, "{modal}");
        assert_eq!(modal["data"]["custom_id"], "fum:42");
        let input = &modal["data"]["components"][0]["components"][0];
        assert_eq!(
            (
                &input["type"],
                &input["custom_id"],
                &input["max_length"],
                &input["required"]
            ),
            (&json!(4), &json!(FOLLOWUP_INPUT), &json!(500), &json!(true)),
            "{modal}"
        );
        for (field, max) in [
            (&modal["data"]["title"], 45),
            (&input["label"], 45),
            (&input["placeholder"], 100),
        ] {
            let n = field.as_str().map_or(0, |s| s.chars().count());
            assert!((1..=max).contains(&n), "{field}");
        }
    }
}
