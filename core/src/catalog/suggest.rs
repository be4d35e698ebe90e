//! "Did you mean" suggestions: the closest known names to a misspelt one.

/// How similar a candidate must be (Jaro-Winkler on lower-cased names) to be suggested.
const THRESHOLD: f64 = 0.85;

/// At most this many suggestions.
const MAX: usize = 3;

/// The candidates closest to `input`, best first (ties by name), at most three.
pub fn closest<'a>(input: &str, candidates: impl Iterator<Item = &'a str>) -> Vec<String> {
    let wanted = input.to_ascii_lowercase();
    let mut scored: Vec<(f64, &str)> = candidates
        .filter_map(|candidate| {
            let lower = candidate.to_ascii_lowercase();
            let mut score = strsim::jaro_winkler(&wanted, &lower);
            // Short names (`s4` for `s3`) are too short for Jaro-Winkler: one edit is close.
            if wanted.len() <= 4 && strsim::levenshtein(&wanted, &lower) <= 1 {
                score = score.max(THRESHOLD);
            }
            // A name that contains the input whole (`getobject` in `getobjectacl`) is a good
            // candidate even when it is much longer.
            if lower.contains(&wanted) && wanted.len() >= 4 {
                score = score.max(THRESHOLD);
            }
            (score >= THRESHOLD).then_some((score, candidate))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(MAX).map(|(_, name)| name.to_owned()).collect()
}

/// "did you mean `x`?" for one suggestion, "did you mean one of `x`, `y`?" for several.
pub fn did_you_mean(suggestions: &[String]) -> Option<String> {
    match suggestions {
        [] => None,
        [one] => Some(format!("did you mean `{one}`?")),
        many => {
            let quoted: Vec<String> = many.iter().map(|s| format!("`{s}`")).collect();
            Some(format!("did you mean one of {}?", quoted.join(", ")))
        }
    }
}
