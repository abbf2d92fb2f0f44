//! The /stats chart: questions per day as bars stacked by how they were answered, as a PNG.
//!
//! plotters draws into an RGB buffer (its bitmap backend) and `png` encodes it. Text is drawn
//! with DejaVu Sans embedded in the binary (`assets/fonts`, registered once through plotters'
//! `ab_glyph` feature), so no system font or fontconfig is needed where the bot runs.

use std::sync::OnceLock;

use plotters::{
    coord::Shift,
    prelude::*,
    style::text_anchor::{HPos, Pos, VPos},
};

use super::StatsReport;
use crate::store::DayCount;

pub const WIDTH: u32 = 1000;
pub const HEIGHT: u32 = 500;

static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const SANS: &str = "sans-serif";

/// Plots at least this many day slots, so one day is a bar, not a wall.
const MIN_SLOTS: usize = 7;
/// Counts are written above the bars up to this many days.
const COUNTS_UP_TO: usize = 31;

const INK: RGBColor = RGBColor(0x23, 0x27, 0x2A);
const GREY_TEXT: RGBColor = RGBColor(0x5C, 0x64, 0x6E);

/// A kind of answer: its name, its colour, and its count on a day.
type Kind = (&'static str, RGBColor, fn(&DayCount) -> i64);

/// The kinds, bottom to top, with their colours (as the answer embeds use them).
const KINDS: [Kind; 4] = [
    ("LLM", RGBColor(0x58, 0x65, 0xF2), |d| d.llm),
    ("quoted", RGBColor(0x3B, 0xA5, 0x5C), |d| d.quoted),
    ("fell back", RGBColor(0xE6, 0x7E, 0x22), |d| d.fell_back),
    ("not covered", RGBColor(0x99, 0xAA, 0xB5), |d| d.not_covered),
];

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("the chart's embedded font could not be read")]
    Font,
    #[error("the chart could not be drawn: {0}")]
    Draw(String),
    #[error("the chart could not be encoded as PNG: {0}")]
    Encode(#[from] png::EncodingError),
}

fn draw_err(e: impl std::fmt::Display) -> ChartError {
    ChartError::Draw(e.to_string())
}

/// The report's chart as a `WIDTH` × `HEIGHT` PNG. An empty period is a chart with no bars that
/// says so.
pub fn png(report: &StatsReport) -> Result<Vec<u8>, ChartError> {
    register_font()?;
    let mut rgb = vec![0u8; WIDTH as usize * HEIGHT as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        draw(&root, report)?;
        root.present().map_err(draw_err)?;
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, WIDTH, HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&rgb)?;
    writer.finish()?;
    Ok(out)
}

fn register_font() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED
        .get_or_init(|| plotters::style::register_font(SANS, FontStyle::Normal, FONT).is_ok());
    ok.then_some(()).ok_or(ChartError::Font)
}

fn draw(root: &DrawingArea<BitMapBackend<'_>, Shift>, r: &StatsReport) -> Result<(), ChartError> {
    let (header, body) = root.split_vertically(84);
    draw_header(&header, r)?;
    let days = &r.per_day;
    let n = days.len().max(1);
    // x is in tenths of a day (plotters formats integer axes with custom ticks; f64 ones not):
    // day `i` is centred on `10 i`.
    let pad = MIN_SLOTS.saturating_sub(n) as i32 * 5;
    let x_range = (-5 - pad)..(n as i32 * 10 - 5 + pad);
    let ticks: Vec<i32> = tick_days(days).into_iter().map(|i| i as i32 * 10).collect();
    let max = days.iter().map(|d| d.questions).max().unwrap_or(0);
    let y_top = u32::try_from(max + max / 8 + 1).unwrap_or(u32::MAX).max(5);
    let mut chart = ChartBuilder::on(&body)
        .margin_top(12)
        .margin_left(16)
        .margin_right(28)
        .margin_bottom(8)
        .x_label_area_size(58)
        .y_label_area_size(64)
        .build_cartesian_2d(x_range.with_key_points(ticks), 0u32..y_top)
        .map_err(draw_err)?;
    let x_desc = if r.days == 1 {
        format!("{} (UTC)", r.to)
    } else {
        format!("day (UTC), {} to {}", r.from, r.to)
    };
    let label =
        |x: &i32| usize::try_from(*x / 10).map_or_else(|_| String::new(), |i| day_label(days, i));
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(RGBColor(0xEE, 0xEE, 0xEE))
        .bold_line_style(RGBColor(0xDD, 0xDD, 0xDD))
        .axis_style(GREY_TEXT)
        .x_label_formatter(&label)
        .y_label_formatter(&|v| v.to_string())
        .y_desc("questions")
        .x_desc(x_desc)
        .label_style((SANS, 17).into_font().color(&INK))
        .axis_desc_style((SANS, 18).into_font().color(&GREY_TEXT))
        .draw()
        .map_err(draw_err)?;
    // Bars a little narrower than their slot, touching in long periods (a slot is 2–3 pixels
    // there: a gap would alias).
    let half = if n > 60 { 5 } else { 4 };
    for (k, (_, colour, value)) in KINDS.iter().enumerate() {
        let bars = days.iter().enumerate().filter_map(|(i, d)| {
            let below: i64 = KINDS[..k].iter().map(|(_, _, v)| v(d)).sum();
            let v = value(d);
            (v > 0).then(|| {
                let x = i as i32 * 10;
                let (y0, y1) = (clamp(below), clamp(below + v));
                Rectangle::new([(x - half, y0), (x + half, y1)], colour.filled())
            })
        });
        chart.draw_series(bars).map_err(draw_err)?;
    }
    if days.len() <= COUNTS_UP_TO {
        let style = (SANS, 15)
            .into_font()
            .color(&INK)
            .pos(Pos::new(HPos::Center, VPos::Bottom));
        let counts = days.iter().enumerate().filter_map(|(i, d)| {
            let q = d.questions;
            (q > 0).then(|| Text::new(q.to_string(), (i as i32 * 10, clamp(q)), style.clone()))
        });
        chart.draw_series(counts).map_err(draw_err)?;
    }
    if r.questions == 0 {
        let (w, h) = chart.plotting_area().dim_in_pixel();
        let (x0, y0) = chart.plotting_area().get_base_pixel();
        let style = (SANS, 26)
            .into_font()
            .color(&GREY_TEXT)
            .pos(Pos::new(HPos::Center, VPos::Center));
        let text = if r.days == 1 {
            "No questions yet today".to_string()
        } else {
            format!("No questions yet in these {} days", r.days)
        };
        let at = (x0 + w as i32 / 2, y0 + h as i32 / 2);
        root.draw(&Text::new(text, at, style)).map_err(draw_err)?;
    }
    Ok(())
}

fn clamp(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

/// The title, and a legend line: each kind's colour, name and total.
fn draw_header(
    area: &DrawingArea<BitMapBackend<'_>, Shift>,
    r: &StatsReport,
) -> Result<(), ChartError> {
    let title = match (r.days, r.questions) {
        (1, q) => format!("Questions today: {q}"),
        (d, q) => format!("Questions per day, last {d} days: {q} in all"),
    };
    let title_style = (SANS, 28).into_font().color(&INK);
    area.draw(&Text::new(title, (24, 14), title_style))
        .map_err(draw_err)?;
    let a = &r.answers;
    let totals = [a.llm, a.quoted, a.fell_back, a.not_covered];
    let text_style = (SANS, 18).into_font().color(&INK);
    let mut x = 24;
    for ((name, colour, _), total) in KINDS.iter().zip(totals) {
        area.draw(&Rectangle::new([(x, 56), (x + 16, 72)], colour.filled()))
            .map_err(draw_err)?;
        let text = format!("{name}: {total}");
        let width = area
            .estimate_text_size(&text, &text_style)
            .map_err(draw_err)?
            .0 as i32;
        area.draw(&Text::new(text, (x + 22, 55), text_style.clone()))
            .map_err(draw_err)?;
        x += 22 + width + 28;
    }
    Ok(())
}

/// The days that get a label: every day up to 14 days; else every 7th day back from today (the
/// last day) up to 84 days, every 14th up to 120; else the first day of each month but one too
/// close to the left end for its label (`Dec 2025` would run into the y axis).
pub fn tick_days(days: &[DayCount]) -> Vec<usize> {
    let n = days.len();
    match n {
        0 => Vec::new(),
        1..=14 => (0..n).collect(),
        15..=120 => {
            let step = if n <= 84 { 7 } else { 14 };
            let mut t: Vec<usize> = (0..n).rev().step_by(step).collect();
            t.reverse();
            t
        }
        _ => (n / 20..n)
            .filter(|&i| days[i].day.ends_with("-01"))
            .collect(),
    }
}

/// `28 Nov` for a day; `Nov` for a month's first day in a long period, with the year in January
/// (`Jan 2026`). Empty outside the period.
fn day_label(days: &[DayCount], i: usize) -> String {
    let Some(d) = days.get(i) else {
        return String::new();
    };
    let (year, month, day) = split_date(&d.day);
    if days.len() > 120 {
        if month == 1 || i == tick_days(days).first().copied().unwrap_or(usize::MAX) {
            format!("{} {year}", month_name(month))
        } else {
            month_name(month).to_string()
        }
    } else {
        format!("{day} {}", month_name(month))
    }
}

/// (year, month, day) of `YYYY-MM-DD`; zeros where it is not a date.
fn split_date(date: &str) -> (u32, u32, u32) {
    let mut parts = date.split('-').map(|p| p.parse::<u32>().unwrap_or(0));
    let mut next = || parts.next().unwrap_or(0);
    (next(), next(), next())
}

fn month_name(month: u32) -> &'static str {
    const NAMES: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    month
        .checked_sub(1)
        .and_then(|m| NAMES.get(m as usize))
        .copied()
        .unwrap_or("?")
}

#[cfg(test)]
#[path = "chart_tests.rs"]
mod tests;
