//! Follow-up questions as answering sees them: the previous turn (its question, its answer, the
//! episodes it cited) and what an answer says about the conversation it continues.

use serde::Serialize;

use crate::retrieve::TurnContext;

/// Budget (estimated tokens) for the previous question and answer in a follow-up's prompt.
pub const PREVIOUS_TURN_TOKENS: usize = 300;

/// The answer a follow-up continues.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviousTurn {
    pub question: String,
    pub answer: String,
    /// URL of the episode of each source the answer cited, in citation order.
    pub episodes: Vec<String>,
}

impl PreviousTurn {
    /// From a recorded answer: `sources` are the URLs of its sources in label order ([1] first);
    /// those its text cites (`[n]`) are its episodes, or all of them when it cites none.
    pub fn new(question: &str, answer: &str, sources: &[String]) -> PreviousTurn {
        let cited = cited_labels(answer, sources.len());
        let episodes = if cited.is_empty() {
            sources.to_vec()
        } else {
            cited.iter().map(|&n| sources[n - 1].clone()).collect()
        };
        PreviousTurn {
            question: question.to_string(),
            answer: answer.to_string(),
            episodes,
        }
    }

    /// How retrieval leans on this turn (`retrieve::context`).
    pub fn search_context(&self) -> TurnContext {
        TurnContext::new(&self.question, self.episodes.clone())
    }
}

/// The answer an answer follows up: `"follows"` in `gdbot ask --json`, "Follow-up to: …" in
/// Discord.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Follows {
    /// The id of the answer followed up.
    pub answer_id: i64,
    /// Its question.
    pub question: String,
    /// The conversation: the id of its first answer.
    pub conversation: i64,
    /// This answer's place in it (1: the first follow-up).
    pub turn: i64,
}

/// The labels `[n]` (1 ≤ n ≤ `sources`) that `text` cites, ascending, each once.
fn cited_labels(text: &str, sources: usize) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    for part in text.split('[').skip(1) {
        let Some((n, _)) = part.split_once(']') else {
            continue;
        };
        if let Ok(n) = n.parse::<usize>() {
            if (1..=sources).contains(&n) && !out.contains(&n) {
                out.push(n);
            }
        }
    }
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_episodes_are_those_the_answer_cites() {
        let sources: Vec<String> = ["a", "b", "c"].map(String::from).into();
        let p = PreviousTurn::new(
            "q",
            "B says so [2], and A [1][2]. See [7] and [x].",
            &sources,
        );
        assert_eq!(p.episodes, ["a", "b"]);
        // an answer citing nothing leans on every source
        let p = PreviousTurn::new("q", "No labels here.", &sources);
        assert_eq!(p.episodes, sources);
        let c = p.search_context();
        assert_eq!((c.question.as_str(), c.episodes.len()), ("q", 3));
    }
}
