//! Masking of secret-looking values in text that reaches an error message or
//! a log (a body excerpt that failed to decode, an error page).

/// Masks the value of every JSON string whose key looks secret (`secret`,
/// `token`, `key`, `password`, `code`) in a body excerpt. Works on truncated or
/// malformed JSON too, since error messages quote bodies that failed to parse.
pub(crate) fn redact_json_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('"') {
        let (before, from_quote) = rest.split_at(start);
        out.push_str(before);
        let Some(key_len) = from_quote[1..].find('"') else {
            out.push_str(from_quote);
            return out;
        };
        let key = &from_quote[1..1 + key_len];
        let after_key = &from_quote[key_len + 2..];
        out.push_str(&from_quote[..key_len + 2]);
        rest = after_key;
        let trimmed = after_key.trim_start();
        if !is_secret_key(key) || !trimmed.starts_with(':') {
            continue;
        }
        let value = trimmed[1..].trim_start();
        if !value.starts_with('"') {
            continue;
        }
        // Skip the string value, honouring escapes; keep the structure visible.
        let skipped = after_key.len() - value.len();
        out.push_str(&after_key[..skipped]);
        out.push_str("\"[redacted]\"");
        let bytes = value.as_bytes();
        let mut i = 1;
        while i < bytes.len() && bytes[i] != b'"' {
            i += if bytes[i] == b'\\' { 2 } else { 1 };
        }
        rest = value.get(i + 1..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["secret", "token", "key", "password"]
        .iter()
        .any(|word| key.contains(word))
        || key == "code"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_secret_values_in_json_text() {
        let body = r#"{"OauthClient":{"id":1,"client_id":"abc","secret":"s3cr\"et","url":"x"}}"#;
        let red = redact_json_text(body);
        assert!(!red.contains("s3cr"), "{red}");
        // client_id is public (it is part of the authorize URL).
        assert!(red.contains(r#""client_id":"abc""#), "{red}");
        assert!(red.contains(r#""secret":"[redacted]""#), "{red}");
    }

    #[test]
    fn redacts_in_truncated_json() {
        let red = redact_json_text(r#"{"Token":{"token":"abcdef"#);
        assert!(!red.contains("abcdef"), "{red}");
        let red = redact_json_text(r#"{"url":"https://x","status":"ACTIVE"}"#);
        assert_eq!(red, r#"{"url":"https://x","status":"ACTIVE"}"#);
    }
}
