//! Policy size as IAM counts it against its quotas, and the quotas themselves.
//!
//! IAM does not count whitespace between JSON tokens
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html>, "Policy
//! grammar notes"); the limits are from
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html>.

/// The largest total size of all inline policies of one role, in characters.
pub const ROLE_INLINE_POLICIES_MAX_SIZE: usize = 10_240;

/// The largest size of one customer managed policy, in characters.
pub const MANAGED_POLICY_MAX_SIZE: usize = 6_144;

/// The size of JSON text as IAM counts it: its characters, without whitespace outside strings.
///
/// Works on any text (it does not validate it); escape sequences inside strings count as
/// written.
pub fn json_size(text: &str) -> usize {
    let mut count = 0;
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            count += 1;
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            count += 1;
            if c == '"' {
                in_string = true;
            }
        }
    }
    count
}
