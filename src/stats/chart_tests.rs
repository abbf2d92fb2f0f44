//! The chart decodes as a PNG of the stated size, draws bars in the kinds' colours, and has
//! readable day labels for 1, 30 and 365 days.

use super::*;
use crate::store::LogStats;

/// `n` days ending 2026-11-28, with `f(i)` answers of each kind on day `i`.
fn report(n: u32, f: impl Fn(usize) -> (i64, i64, i64, i64)) -> StatsReport {
    let start = 20_785 - i64::from(n) + 1; // 2026-11-28 is day 20,785 of the Unix epoch
    let days = (0..n as usize)
        .map(|i| {
            let (llm, quoted, fell_back, not_covered) = f(i);
            DayCount::new(civil(start + i as i64), llm, quoted, fell_back, not_covered)
        })
        .collect();
    StatsReport::from_log(
        n,
        LogStats {
            days,
            ..LogStats::default()
        },
    )
}

/// `YYYY-MM-DD` of a day number (days since 1970-01-01), for building test periods.
fn civil(z: i64) -> String {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Width, height and RGB pixels of a PNG.
fn decode(bytes: &[u8]) -> (u32, u32, Vec<[u8; 3]>) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("a frame");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    let pixels = buf[..info.buffer_size()]
        .chunks(3)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    (info.width, info.height, pixels)
}

fn count(pixels: &[[u8; 3]], c: RGBColor) -> usize {
    pixels.iter().filter(|p| **p == [c.0, c.1, c.2]).count()
}

#[test]
fn a_month_draws_bars_of_every_kind_it_has() {
    let r = report(30, |i| (i as i64 % 5, 2, i64::from(i == 3), 1));
    let (w, h, pixels) = decode(&png(&r).expect("drawn"));
    assert_eq!((w, h), (WIDTH, HEIGHT));
    for (name, colour, _) in KINDS {
        // Each kind: at least its legend square (16 × 16) and a bar of it.
        assert!(
            count(&pixels, colour) > 300,
            "{name}: {}",
            count(&pixels, colour)
        );
    }
    let text = pixels.iter().filter(|p| p[0] < 0x40 && p[1] < 0x40).count();
    assert!(text > 2000, "dark text pixels: {text}");
}

#[test]
fn an_empty_period_is_a_valid_chart_that_says_so() {
    let r = report(30, |_| (0, 0, 0, 0));
    let (w, h, pixels) = decode(&png(&r).expect("drawn"));
    assert_eq!((w, h), (WIDTH, HEIGHT));
    let white = count(&pixels, WHITE);
    assert!(white < pixels.len(), "not blank");
    // No bars: each kind's colour only in its legend square.
    for (name, colour, _) in KINDS {
        assert!(count(&pixels, colour) <= 17 * 17, "{name}");
    }
}

#[test]
fn one_day_and_a_year_are_drawn_with_readable_labels() {
    let day = report(1, |_| (3, 0, 0, 1));
    assert_eq!(tick_days(&day.per_day), vec![0]);
    assert_eq!(day_label(&day.per_day, 0), "28 Nov");
    assert!(png(&day).is_ok());

    let month = report(30, |_| (1, 0, 0, 0));
    let ticks = tick_days(&month.per_day);
    assert_eq!(ticks.last(), Some(&29), "today is labelled");
    assert_eq!(ticks, vec![1, 8, 15, 22, 29]);

    let year = report(365, |i| (i as i64 % 7, 0, 0, 0));
    let ticks = tick_days(&year.per_day);
    let labels: Vec<String> = ticks.iter().map(|&i| day_label(&year.per_day, i)).collect();
    // 1 December is the third day: too close to the axis for a label.
    assert_eq!(labels.len(), 11, "{labels:?}");
    assert_eq!(labels[0], "Jan 2026");
    assert_eq!(labels[5], "Jun");
    assert_eq!(labels[10], "Nov");
    let (w, _, pixels) = decode(&png(&year).expect("drawn"));
    assert_eq!(w, WIDTH);
    assert!(count(&pixels, KINDS[0].1) > 1000);
}
