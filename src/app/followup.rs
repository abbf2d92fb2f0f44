//! Follow-up questions, for both front ends (the "Follow up" button and `gdbot ask --follow-up`):
//! a question answered as the continuation of an earlier answer, within the conversation's
//! lifetime (`CONVERSATION_TTL_MINUTES`); past it, or for an answer not known, as a new question
//! with a note saying so.

use tokio::sync::mpsc::UnboundedSender;

use super::App;
use crate::{
    answer::{Answer, AnswerError, Follows, PreviousTurn},
    retrieve::RetrieveError,
    store::TurnRecord,
};

impl App {
    /// Answer `question` as a follow-up to the answer with id `previous` (`Answer::answer_id`):
    /// retrieval leans on that answer's question and cited episodes, the prompt carries its
    /// question and answer, and the answer says what it follows (`Answer::follows`). The turn is
    /// recorded in the background, like the answer. `previous` may still be waiting to be written.
    pub async fn ask_follow_up(
        &self,
        previous: i64,
        question: &str,
        partial: Option<&UnboundedSender<String>>,
    ) -> Result<Answer, AnswerError> {
        let found = self
            .store
            .prior_turn(previous)
            .await
            .map_err(RetrieveError::from)?;
        let ttl = self.config.conversation_ttl;
        let prior = match found {
            Some(p) if p.age <= ttl => p,
            other => {
                let why = match other {
                    Some(_) => format!(
                        "That conversation has expired (answers can be followed up for {} minutes), so this was answered as a new question.",
                        ttl.as_secs() / 60
                    ),
                    None => "The answer you followed up is not known here, so this was answered as a new question.".to_string(),
                };
                let mut answer = self.ask(question, None, partial).await?;
                answer.note = Some(match answer.note.take() {
                    Some(note) => format!("{why} {note}"),
                    None => why,
                });
                return Ok(answer);
            }
        };
        let turn = PreviousTurn::new(&prior.question, &prior.answer, &prior.sources);
        let mut answer = self
            .answerer
            .answer(&self.store, question, None, Some(&turn), partial)
            .await?;
        answer.follows = Some(Follows {
            answer_id: prior.answer_id,
            question: prior.question.clone(),
            conversation: prior.conversation,
            turn: prior.position + 1,
        });
        self.remember(question, &answer);
        if let Some(answer_id) = answer.answer_id {
            let record = TurnRecord {
                answer_id,
                parent: prior,
                sources: source_urls(&answer),
            };
            if let Err(e) = self.store.queue_turn(record).await {
                tracing::warn!(error = %e, answer_id, "could not record a follow-up's turn");
            }
        }
        Ok(answer)
    }

    /// Keep a recorded answer at hand, so it can be followed up before its row is written.
    pub(super) fn remember(&self, question: &str, answer: &Answer) {
        if let Some(id) = answer.answer_id {
            self.store
                .remember_answer(id, question.trim(), &answer.answer, source_urls(answer));
        }
    }
}

fn source_urls(a: &Answer) -> Vec<String> {
    a.sources.iter().map(|s| s.url.clone()).collect()
}
