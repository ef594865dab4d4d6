//! Masking of secret-looking values in text that reaches an error message or
//! a log (a body excerpt that failed to decode, an error page that echoes the
//! request): JSON `"key":"value"` pairs and query-style `key=value` pairs.

/// Masks every secret-looking value in `text`, in JSON (`"token":"…"`) and in
/// query or form style (`code=…&client_secret=…`).
pub(crate) fn redact_text(text: &str) -> String {
    redact_query_text(&redact_json_text(text))
}

/// Masks the value of every `key=value` pair whose key looks secret, up to
/// the next `&`, whitespace, quote, `<`, `>` or `;`.
fn redact_query_text(text: &str) -> String {
    let is_key_char = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.';
    let is_value_end =
        |c: u8| matches!(c, b'&' | b'"' | b'\'' | b'<' | b'>' | b';') || c.is_ascii_whitespace();
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'=' {
            i += 1;
            continue;
        }
        let mut start = i;
        while start > 0 && is_key_char(bytes[start - 1]) {
            start -= 1;
        }
        let mut end = i + 1;
        while end < bytes.len() && !is_value_end(bytes[end]) {
            end += 1;
        }
        // Byte positions at ASCII characters: always on char boundaries.
        if end > i + 1 && is_secret_key(&text[start..i]) {
            out.push_str(&text[copied..=i]);
            out.push_str("[redacted]");
            copied = end;
        }
        i = end.max(i + 1);
    }
    out.push_str(&text[copied..]);
    out
}

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
        || key == "state"
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

    #[test]
    fn redacts_query_style_secrets() {
        let page = "<html><body>POST /v1/token?grant_type=authorization_code&code=abc123&redirect_uri=https%3A%2F%2Fx&client_id=pub&client_secret=s3cret state=st4te</body></html>";
        let red = redact_text(page);
        for secret in ["abc123", "s3cret", "st4te"] {
            assert!(!red.contains(secret), "{red}");
        }
        assert!(red.contains("client_id=pub"), "{red}");
        assert!(red.contains("grant_type=authorization_code"), "{red}");
        assert!(red.contains("code=[redacted]&"), "{red}");
        // Text without pairs is unchanged, non-ASCII included.
        assert_eq!(redact_text("héllo = wörld"), "héllo = wörld");
        assert_eq!(redact_text("token="), "token=");
    }
}
