//! Typed comparisons behind the condition operators: numbers, dates, booleans, IP ranges and
//! base64 binaries.

use std::net::IpAddr;

/// A decimal number (`"10"`, `"2.5"`, `-3`).
pub(crate) fn number(text: &str) -> Option<f64> {
    let text = text.trim();
    let valid = !text.is_empty()
        && text.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
    if valid { text.parse::<f64>().ok().filter(|n| n.is_finite()) } else { None }
}

/// `true` or `false`, case-insensitively.
pub(crate) fn boolean(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let shifted_month = (month + 9) % 12; // March = 0
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn digits(text: &str, len: usize) -> Option<i64> {
    (text.len() == len && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// Seconds since the epoch of a date: epoch seconds (`1700000000`) or one of the W3C ISO 8601
/// forms IAM accepts (`2020`, `2020-01`, `2020-01-31`, `2020-01-31T12:00Z`,
/// `2020-01-31T12:00:00Z`, `2020-01-31T12:00:00.5+02:00`). A time without a zone is UTC.
pub(crate) fn date(text: &str) -> Option<f64> {
    let text = text.trim();
    if text.bytes().all(|b| b.is_ascii_digit() || b == b'.') && text.len() != 4 {
        return number(text);
    }
    let (day_part, time_part) = match text.split_once(['T', 't']) {
        Some((d, t)) => (d, Some(t)),
        None => (text, None),
    };
    let mut fields = day_part.split('-');
    let year = digits(fields.next()?, 4)?;
    let month = fields.next().map_or(Some(1), |m| digits(m, 2))?;
    let day = fields.next().map_or(Some(1), |d| digits(d, 2))?;
    if fields.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let mut seconds = days_from_civil(year, month, day) as f64 * 86_400.0;
    if let Some(time) = time_part {
        let (clock, offset) = split_zone(time)?;
        let mut hms = clock.split(':');
        let hour = digits(hms.next()?, 2)?;
        let minute = digits(hms.next()?, 2)?;
        let second = match hms.next() {
            Some(s) => {
                let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
                let whole = digits(whole, 2)? as f64;
                let frac = if frac.is_empty() { 0.0 } else { number(&format!("0.{frac}"))? };
                whole + frac
            }
            None => 0.0,
        };
        if hms.next().is_some() || hour > 24 || minute > 59 || second >= 61.0 {
            return None;
        }
        seconds += (hour * 3600 + minute * 60) as f64 + second - offset;
    }
    Some(seconds)
}

/// Splits `hh:mm:ss±hh:mm` / `…Z` into the clock and the zone offset in seconds.
fn split_zone(time: &str) -> Option<(&str, f64)> {
    if let Some(clock) = time.strip_suffix(['Z', 'z']) {
        return Some((clock, 0.0));
    }
    match time.rfind(['+', '-']) {
        Some(at) => {
            let (clock, zone) = time.split_at(at);
            let sign = if zone.starts_with('-') { -1.0 } else { 1.0 };
            let (h, m) = zone[1..].split_once(':').unwrap_or((&zone[1..], "00"));
            let offset = (digits(h, 2)? * 3600 + digits(m, 2)? * 60) as f64;
            Some((clock, sign * offset))
        }
        None => Some((time, 0.0)),
    }
}

/// A CIDR range; a bare address is a /32 (IPv4) or /128 (IPv6) range.
pub(crate) fn cidr(text: &str) -> Option<(IpAddr, u32)> {
    let text = text.trim();
    let (addr, prefix) = match text.split_once('/') {
        Some((addr, prefix)) => (addr, Some(prefix)),
        None => (text, None),
    };
    let addr: IpAddr = addr.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        Some(p) => p.parse::<u32>().ok().filter(|p| *p <= max)?,
        None => max,
    };
    Some((addr, prefix))
}

/// Whether `addr` lies in `range`.
pub(crate) fn ip_in(addr: IpAddr, (network, prefix): (IpAddr, u32)) -> bool {
    match (addr, network) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// Decodes standard base64 (padding optional); `None` if it is not base64.
pub(crate) fn base64(text: &str) -> Option<Vec<u8>> {
    let text = text.trim().trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for byte in text.bytes() {
        let sextet = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(sextet);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_every_accepted_form() {
        assert_eq!(date("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(date("2020-01-01T00:00:01Z"), Some(1_577_836_801.0));
        assert_eq!(date("2020-01-01"), Some(1_577_836_800.0));
        assert_eq!(date("2020"), Some(1_577_836_800.0));
        assert_eq!(date("2020-01-01T02:00:00+02:00"), Some(1_577_836_800.0));
        assert_eq!(date("1577836800"), Some(1_577_836_800.0));
        assert_eq!(date("2020-01-01T00:00:00.5Z"), Some(1_577_836_800.5));
        assert_eq!(date("yesterday"), None);
    }

    #[test]
    fn base64_decodes() {
        assert_eq!(base64("QmluYXJ5").as_deref(), Some(&b"Binary"[..]));
        assert_eq!(base64("YQ==").as_deref(), Some(&b"a"[..]));
        assert_eq!(base64("not base64!"), None);
    }

    #[test]
    fn cidr_ranges() {
        let range = cidr("203.0.113.0/24");
        assert!(range.is_some_and(|r| ip_in("203.0.113.7".parse().unwrap_or(r.0), r)));
        assert_eq!(cidr("10.0.0.1").map(|r| r.1), Some(32));
        assert_eq!(cidr("2001:db8::/32").map(|r| r.1), Some(32));
        assert_eq!(cidr("10.0.0.0/33"), None);
    }
}
