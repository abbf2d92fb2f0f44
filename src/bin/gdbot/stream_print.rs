//! Printing an answer while it is generated (`gdbot ask` in a terminal, or `--stream`).
//!
//! `App::ask` sends the whole text so far after each delta; the printer writes only what is new.
//! The final answer can differ from what was streamed (out-of-range citations removed, or quoted
//! excerpts after the model failed): then it is printed again in full below what was shown.

use std::io::{self, Write};

pub struct StreamPrinter<W: Write> {
    out: W,
    /// The text written so far (leading whitespace skipped).
    shown: String,
}

impl<W: Write> StreamPrinter<W> {
    pub fn new(out: W) -> Self {
        StreamPrinter {
            out,
            shown: String::new(),
        }
    }

    /// `text` is the whole answer so far; write what extends the text already shown.
    pub fn update(&mut self, text: &str) -> io::Result<()> {
        let text = text.trim_start();
        match text.strip_prefix(self.shown.as_str()) {
            Some(new) if !new.is_empty() => {
                self.out.write_all(new.as_bytes())?;
                self.out.flush()?;
                self.shown.push_str(new);
            }
            // Nothing new, or a text that no longer extends what was shown: `finish` settles it.
            _ => {}
        }
        Ok(())
    }

    /// Write the rest of the final answer and a blank line; returns the writer.
    pub fn finish(mut self, answer: &str) -> io::Result<W> {
        let shown = self.shown.trim_end();
        if self.shown.is_empty() {
            writeln!(self.out, "{answer}")?;
        } else if let Some(rest) = answer.strip_prefix(shown) {
            // `answer` is trimmed; whitespace already shown is not written twice.
            let rest = if shown.len() < self.shown.len() {
                rest.trim_start()
            } else {
                rest
            };
            writeln!(self.out, "{rest}")?;
        } else {
            writeln!(self.out, "\n\n{answer}")?;
        }
        writeln!(self.out)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each step's output, as a terminal shows it.
    fn run(updates: &[&str], answer: &str) -> (Vec<String>, String) {
        let mut p = StreamPrinter::new(Vec::new());
        let mut steps = Vec::new();
        for u in updates {
            p.update(u).unwrap();
            steps.push(String::from_utf8(p.out.clone()).unwrap());
        }
        let out = p.finish(answer).unwrap();
        (steps, String::from_utf8(out).unwrap())
    }

    #[test]
    fn text_appears_as_it_arrives() {
        let (steps, out) = run(
            &[
                " Diffusion",
                " Diffusion models",
                " Diffusion models denoise [1].",
            ],
            "Diffusion models denoise [1].",
        );
        assert_eq!(
            steps,
            [
                "Diffusion",
                "Diffusion models",
                "Diffusion models denoise [1]."
            ]
        );
        assert_eq!(out, "Diffusion models denoise [1].\n\n");
    }

    #[test]
    fn trailing_whitespace_is_not_doubled() {
        let (_, out) = run(&["Hello ", "Hello world \n"], "Hello world");
        assert_eq!(out, "Hello world \n\n\n");
        let (_, out) = run(&["Hello "], "Hello world");
        assert_eq!(out, "Hello world\n\n");
    }

    #[test]
    fn a_different_final_answer_is_printed_in_full() {
        // citations cleaned, or the model failed mid-way and excerpts replace its text
        let (_, out) = run(&["Partial [9"], "Quoted excerpts: …");
        assert_eq!(out, "Partial [9\n\nQuoted excerpts: …\n\n");
        // a partial that stops extending the shown text is held until the end
        let (steps, _) = run(&["abc", "xyz"], "xyz");
        assert_eq!(steps, ["abc", "abc"]);
    }

    #[test]
    fn nothing_streamed_prints_the_answer() {
        let (_, out) = run(&[], "Quoted excerpts");
        assert_eq!(out, "Quoted excerpts\n\n");
    }
}
