//! How the REPL writes numbers, lists of words and traces.

/// `a`, `a and b`, `a, b and c`.
pub fn join_words(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Six decimals (six significant digits in scientific notation outside [0.001, 10⁶)), without
/// trailing zeros, so the last bits of the float add no noise.
pub fn format_number(value: f64) -> String {
    if value == 0.0 || (1e-3..1e6).contains(&value.abs()) {
        let text = format!("{value:.6}");
        let text = text.trim_end_matches('0').trim_end_matches('.');
        text.to_string()
    } else {
        format!("{value:.5e}")
    }
}

/// A unicode sparkline (▁ to █) of the values, scaled between their minimum and maximum.
pub fn sparkline(values: &[f64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let low = finite.clone().fold(f64::INFINITY, f64::min);
    let high = finite.fold(f64::NEG_INFINITY, f64::max);
    values
        .iter()
        .map(|&value| {
            if !value.is_finite() {
                '?'
            } else if high <= low {
                BARS[0]
            } else {
                let level = ((value - low) / (high - low) * 7.0).round() as usize;
                BARS[level.min(7)]
            }
        })
        .collect()
}
