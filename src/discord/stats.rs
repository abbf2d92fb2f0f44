//! /stats (moderators): what the community asked over the last N days, privately: an embed with
//! the answers by kind, the votes, the most cited episodes and the questions the archive did not
//! cover, around the chart of questions per day (a PNG attached to the reply, shown in the
//! embed). The numbers and the chart are `App::stats`'s, as for `gdbot stats`.

use poise::serenity_prelude as serenity;
use serenity::{CreateAttachment, CreateEmbed, CreateEmbedFooter, EditInteractionResponse};

use super::{call::Call, checks, render, respond, Context, Error};
use crate::stats::{StatsError, StatsReport, DEFAULT_DAYS};

/// The chart's file name, as the embed refers to it.
const CHART: &str = "stats.png";
const COLOUR: u32 = 0x5865F2;
/// Characters of one question or title in a list.
const LINE_MAX: usize = 120;

/// What was asked lately, how it was answered, what the archive lacks (moderators only)
#[poise::command(slash_command, guild_only, default_member_permissions = "MANAGE_GUILD")]
pub async fn stats(
    ctx: Context<'_>,
    #[description = "Days to cover, today included (1–365; default 30)"]
    #[min = 1]
    #[max = 365]
    days: Option<u32>,
) -> Result<(), Error> {
    match Call::gateway(ctx) {
        Some(call) => run(&call, days).await,
        None => Ok(()),
    }
}

/// What the command does, whichever transport delivered it.
pub(super) async fn run(call: &Call<'_>, days: Option<u32>) -> Result<(), Error> {
    if !checks::moderator(call).await? {
        return Ok(());
    }
    let data = call.data;
    let _busy = data.in_flight.token();
    respond::defer(call, true).await?;
    let days = days.unwrap_or(DEFAULT_DAYS);
    tracing::info!(user_id = %call.author().id, days, "stats requested");
    let app = &data.app;
    let drawn = match app.stats(days).await {
        Ok(report) => app.stats_chart(&report).await.map(|png| (report, png)),
        Err(e) => Err(e),
    };
    let edit = match drawn {
        Ok((report, png)) => stats_edit(&report, png),
        Err(e) => render::text_edit(&failure(&e)),
    };
    respond::final_edit_upload(call.reply.http, call.reply.token, &edit).await;
    Ok(())
}

/// Out-of-range days are said; database and drawing errors only go to the log.
fn failure(e: &StatsError) -> String {
    match e {
        StatsError::Days(_) => format!("❌ {e}."),
        other => {
            tracing::error!(error = %other, "stats failed");
            "❌ The statistics could not be gathered (details are in the bot's log).".into()
        }
    }
}

/// The reply: the report's embed with the chart attached and shown in it.
pub fn stats_edit(r: &StatsReport, png: Vec<u8>) -> EditInteractionResponse {
    EditInteractionResponse::new()
        .content("")
        .embeds(vec![stats_embed(r)])
        .components(Vec::new())
        .new_attachment(CreateAttachment::bytes(png, CHART))
        .allowed_mentions(render::no_mentions())
}

pub fn stats_embed(r: &StatsReport) -> CreateEmbed {
    let period = if r.days == 1 {
        format!("today ({}, UTC)", r.to)
    } else {
        format!("in the last {} days ({} to {}, UTC)", r.days, r.from, r.to)
    };
    let embed = CreateEmbed::new()
        .title("What the community asked")
        .colour(COLOUR)
        .image(format!("attachment://{CHART}"));
    if r.questions == 0 {
        return embed.description(format!(
            "No questions yet {period}: nothing to count. The chart is empty."
        ));
    }
    let a = &r.answers;
    let votes = match r.votes.up_ratio {
        Some(ratio) => format!(
            "👍 {} · 👎 {} ({:.0} % 👍)",
            r.votes.up,
            r.votes.down,
            ratio * 100.0
        ),
        None => "No votes yet.".into(),
    };
    let cited = list(r.cited_episodes.iter().map(|e| {
        format!(
            "**{}** — {}",
            e.answers,
            render::truncate(&e.title, LINE_MAX)
        )
    }));
    let uncovered = list(
        r.not_covered
            .iter()
            .map(|q| format!("**{}×** `{}`", q.times, render::quoted(&q.question))),
    );
    embed
        .description(format!("**{}** questions {period}.", r.questions))
        .field(
            "Answers",
            format!(
                "LLM {} · quoted {} · fell back {} · not covered {}",
                a.llm, a.quoted, a.fell_back, a.not_covered
            ),
            false,
        )
        .field("Votes", votes, false)
        .field(
            "Most cited episodes (answers)",
            cited.unwrap_or_else(|| "None yet.".into()),
            false,
        )
        .field(
            "Most asked, not covered by the archive",
            uncovered.unwrap_or_else(|| "None: every question was covered.".into()),
            false,
        )
        .footer(CreateEmbedFooter::new(
            "\"Fell back\": the LLM failed and quotes were shown. gdbot stats --json has it all.",
        ))
}

/// Lines joined within a field's 1,024 characters (whole lines only); `None` when there are none.
fn list(lines: impl Iterator<Item = String>) -> Option<String> {
    let mut out = String::new();
    for line in lines {
        if out.chars().count() + 1 + line.chars().count() > render::FIELD_VALUE_MAX {
            break;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&line);
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        stats::UncoveredQuestion,
        store::{CitedEpisode, DayCount, LogStats},
    };

    fn report(questions: i64) -> StatsReport {
        let mut r = StatsReport::from_log(
            30,
            LogStats {
                days: vec![DayCount::new("2026-01-02".into(), questions, 0, 0, 0)],
                up: 3,
                down: 1,
                ..LogStats::default()
            },
        );
        let long = "word ".repeat(400);
        r.cited_episodes = (0..10)
            .map(|i| CitedEpisode {
                url: format!("https://example.org/{i}"),
                title: long.clone(),
                answers: 10 - i,
                passages: 20,
            })
            .collect();
        r.not_covered = (0..10)
            .map(|_| UncoveredQuestion {
                question: format!("`@everyone` {long}"),
                times: 2,
                last_asked: "2026-01-02T00:00:00Z".into(),
            })
            .collect();
        r
    }

    #[test]
    fn the_embed_fits_discord_and_shows_the_chart() {
        let v = serde_json::to_value(stats_embed(&report(5))).unwrap();
        assert_eq!(v["image"]["url"], "attachment://stats.png");
        let fields = v["fields"].as_array().unwrap();
        assert_eq!(fields.len(), 4);
        let mut total = 0;
        for f in fields {
            let value = f["value"].as_str().unwrap();
            assert!(value.chars().count() <= render::FIELD_VALUE_MAX, "{value}");
            total += value.chars().count() + f["name"].as_str().unwrap().chars().count();
        }
        assert!(total < render::EMBED_TOTAL_MAX);
        let uncovered = fields[3]["value"].as_str().unwrap();
        assert!(
            uncovered.starts_with("**2×** `'@everyone' word"),
            "{uncovered}"
        );
        assert!(fields[1]["value"].as_str().unwrap().contains("(75 % 👍)"));
    }

    #[test]
    fn an_empty_log_says_so() {
        let v = serde_json::to_value(stats_embed(&report(0))).unwrap();
        assert!(v["description"]
            .as_str()
            .unwrap()
            .starts_with("No questions yet in the last 30 days"));
        assert!(v
            .get("fields")
            .is_none_or(|f| f.as_array().is_some_and(Vec::is_empty)));
    }
}
