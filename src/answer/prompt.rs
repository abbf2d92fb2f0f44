//! The LLM prompt: the question and the best passages, labelled [1], [2] …, within a token budget.

use crate::{cite, retrieve::Hit};

/// Tokens estimated as 1.3 per word (the evaluation's rule; close to GPT tokenizers on English talk).
pub fn estimate_tokens(text: &str) -> usize {
    (text.split_whitespace().count() as f64 * 1.3).ceil() as usize
}

pub struct Prompt {
    pub system: String,
    pub user: String,
    /// The passages that made it into the prompt, in label order.
    pub hits: Vec<Hit>,
    pub context_tokens: usize,
}

const SYSTEM: &str = "You answer questions about episodes of the Gradient Dissent podcast. \
Use only the numbered transcript passages you are given. Cite every claim with the passage label in square \
brackets, like [1] or [2][3]. If the passages do not contain the answer, say that the episodes do not seem to \
cover it; do not guess. Answer in at most 150 words, in plain prose.";

impl Prompt {
    /// Take passages in rank order while they fit `budget_tokens` (the first always fits).
    pub fn build(question: &str, hits: &[Hit], budget_tokens: usize) -> Prompt {
        let mut used = 0;
        let mut taken = Vec::new();
        for h in hits {
            let t = estimate_tokens(&h.text);
            if !taken.is_empty() && used + t > budget_tokens {
                break;
            }
            used += t;
            taken.push(h.clone());
        }
        let mut user = String::from("Passages:\n");
        for (i, h) in taken.iter().enumerate() {
            let at = h
                .timestamp_s
                .map(|t| cite::format_at(t, h.timestamp_exact))
                .unwrap_or_default();
            user.push_str(&format!("[{}] \"{}\" {at}\n{}\n\n", i + 1, h.title, h.text));
        }
        user.push_str(&format!("Question: {question}"));
        Prompt {
            system: SYSTEM.to_string(),
            user,
            hits: taken,
            context_tokens: used,
        }
    }
}

/// Told to the model when the question follows up an earlier one.
const FOLLOW_UP: &str = " The question follows up the previous question and answer shown before the passages: \
read words like \"he\", \"she\", \"it\" and \"that\" in it as referring to them, but answer only from the numbered \
passages.";

impl Prompt {
    /// Put the previous question and answer (of a conversation this question follows up) before
    /// the passages, within `budget_tokens` (estimated): the question first, then as much of the
    /// answer as fits, its old citation labels removed (they numbered other passages).
    pub fn add_previous(&mut self, question: &str, answer: &str, budget_tokens: usize) {
        let question = words_within(question, budget_tokens / 3);
        let room = budget_tokens.saturating_sub(estimate_tokens(&question));
        let answer = words_within(&strip_labels(answer), room);
        let mut head = format!("Previous question: {question}\n");
        if !answer.is_empty() {
            head.push_str(&format!("Previous answer: {answer}\n"));
        }
        head.push('\n');
        self.user.insert_str(0, &head);
        self.system.push_str(FOLLOW_UP);
    }
}

/// The first words of `text` that fit `tokens` (estimated as `estimate_tokens` does), "…" when cut.
fn words_within(text: &str, tokens: usize) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let fit = (tokens as f64 / 1.3).floor() as usize;
    if words.len() <= fit {
        return words.join(" ");
    }
    if fit == 0 {
        return String::new();
    }
    format!("{} …", words[..fit - 1].join(" "))
}

/// `text` without citation labels (`[1]`, `[12]`).
fn strip_labels(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find(']') {
            Some(close) if close > 0 && after[..close].chars().all(|c| c.is_ascii_digit()) => {
                rest = &after[close + 1..];
            }
            _ => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Drop citation labels that point at no source (models sometimes invent [7]).
pub fn clean_citations(text: &str, n_sources: usize) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find(']') {
            Some(close)
                if after[..close].chars().all(|c| c.is_ascii_digit())
                    && close > 0
                    && close <= 3 =>
            {
                let n: usize = after[..close].parse().unwrap_or(0);
                if (1..=n_sources).contains(&n) {
                    out.push_str(&rest[open..open + close + 2]);
                }
                rest = &after[close + 1..];
            }
            _ => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(words: usize, title: &str) -> Hit {
        Hit {
            url: "https://www.youtube.com/watch?v=x".into(),
            episode_id: "x".into(),
            title: title.into(),
            start_word: 0,
            end_word: words as i64,
            timestamp_s: Some(75),
            timestamp_exact: title.ends_with("exact"),
            score: 1.0,
            text: "word ".repeat(words),
            link: String::new(),
        }
    }

    #[test]
    fn prompt_respects_the_budget_and_labels_passages() {
        let hits: Vec<Hit> = (0..10).map(|i| hit(120, &format!("Ep {i}"))).collect();
        let p = Prompt::build("What?", &hits, 600);
        assert_eq!(p.hits.len(), 3); // 156 tokens each
        assert!(p.context_tokens <= 600);
        assert!(p.user.contains("[1] \"Ep 0\" ≈1:15"));
        assert!(p.user.contains("[3] \"Ep 2\""));
        assert!(!p.user.contains("[4]"));
        assert!(p.user.ends_with("Question: What?"));
        let exact = Prompt::build("q", &[hit(10, "Ep exact")], 100);
        assert!(
            exact.user.contains("[1] \"Ep exact\" 1:15\n"),
            "{}",
            exact.user
        );
        // one oversized passage is still taken
        assert_eq!(Prompt::build("q", &[hit(2000, "big")], 100).hits.len(), 1);
    }

    #[test]
    fn the_previous_turn_comes_first_within_its_budget() {
        let mut p = Prompt::build(
            "And what did he say about teaching it?",
            &[hit(10, "Ep")],
            600,
        );
        let long_answer = format!(
            "Diffusion improves an output step by step [1][2]. {}",
            "more ".repeat(500)
        );
        p.add_previous("What is the insight behind diffusion?", &long_answer, 100);
        assert!(
            p.user.starts_with(
                "Previous question: What is the insight behind diffusion?\nPrevious answer: Diffusion improves an output step by step . more"
            ),
            "{}",
            p.user
        );
        let head = p.user.split("\n\nPassages:").next().unwrap_or_default();
        assert!(
            estimate_tokens(head) <= 100 + 4,
            "{} tokens: {head}",
            estimate_tokens(head)
        );
        assert!(head.ends_with('…'), "{head}");
        assert!(p
            .user
            .ends_with("Question: And what did he say about teaching it?"));
        assert!(p.system.contains("follows up the previous question"));
        assert!(
            p.user.contains("[1] \"Ep\""),
            "the passages keep their labels"
        );
    }

    #[test]
    fn invented_citations_are_removed() {
        assert_eq!(
            clean_citations("A [1] and B [7][2]. See [note].", 2),
            "A [1] and B [2]. See [note]."
        );
    }
}
