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
    fn invented_citations_are_removed() {
        assert_eq!(
            clean_citations("A [1] and B [7][2]. See [note].", 2),
            "A [1] and B [2]. See [note]."
        );
    }
}
