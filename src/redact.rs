//! Masking of secret-looking values in text that reaches an error message or
//! a log (a body excerpt that failed to decode, an error page that echoes the
//! request): JSON and single-quoted `"key":"value"` pairs (keys with `\u`
//! escapes included), query-style `key=value` pairs (URL-encoded too),
//! header-style `Name: value` lines, and `Bearer` tokens.

/// Masks every secret-looking value in `text`.
pub(crate) fn redact_text(text: &str) -> String {
    let text = redact_json_text(text);
    // A URL inside a URL (`redirect=…%3Fcode%3D…`): its pairs are read
    // decoded, so they are masked as plain ones are.
    let text = if text.contains("%3D") || text.contains("%3d") {
        ["%3D", "%3d", "%26", "%3F", "%3f"]
            .iter()
            .zip(["=", "=", "&", "?", "?"])
            .fold(text, |t, (from, to)| t.replace(from, to))
    } else {
        text
    };
    let text = redact_pairs(&text, "=", |c| {
        matches!(c, b'&' | b'"' | b'\'' | b'<' | b'>' | b';' | b',') || c.is_ascii_whitespace()
    });
    // `Authorization: Bearer …` and the like: the value runs to the line's end.
    let text = redact_pairs(&text, ": ", |c| matches!(c, b'\n' | b'\r' | b'"' | b'\''));
    redact_bearer(&text)
}

/// Masks the value after every `key{separator}` whose key looks secret, up
/// to the first byte `ends` accepts.
fn redact_pairs(text: &str, separator: &str, ends: impl Fn(u8) -> bool) -> String {
    let is_key_char = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.';
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut from = 0;
    while let Some(found) = text[from..].find(separator) {
        let at = from + found;
        let value_start = at + separator.len();
        let mut start = at;
        while start > 0 && is_key_char(bytes[start - 1]) {
            start -= 1;
        }
        let mut end = value_start;
        while end < bytes.len() && !ends(bytes[end]) {
            end += 1;
        }
        // Byte positions at ASCII characters: always on char boundaries.
        if end > value_start
            && is_secret_key(&text[start..at])
            && !text[value_start..end].starts_with("[redacted]")
        {
            out.push_str(&text[copied..value_start]);
            out.push_str("[redacted]");
            copied = end;
            from = end;
        } else {
            // A value may hold pairs of its own (a URL's query).
            from = value_start;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// Masks the word after every `Bearer ` (an OAuth access token).
fn redact_bearer(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("Bearer ").or_else(|| rest.find("bearer ")) {
        let value = &rest[at + "Bearer ".len()..];
        let end = value
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | ';' | '&'))
            .unwrap_or(value.len());
        out.push_str(&rest[..at + "Bearer ".len()]);
        if end > 0 && !value.starts_with("[redacted]") {
            out.push_str("[redacted]");
        } else {
            out.push_str(&value[..end]);
        }
        rest = &value[end..];
    }
    out.push_str(rest);
    out
}

/// Masks the value of every quoted string (double or single quotes) whose
/// key looks secret (`secret`, `token`, `key`, `password`, `auth…`, `code`,
/// `state`) in a body excerpt. Works on truncated or malformed JSON too,
/// since error messages quote bodies that failed to parse.
pub(crate) fn redact_json_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(['"', '\'']) {
        let quote = rest.as_bytes()[start];
        let (before, from_quote) = rest.split_at(start);
        out.push_str(before);
        let Some(key_len) = closing_quote(&from_quote[1..], quote) else {
            out.push_str(from_quote);
            return out;
        };
        let key = &from_quote[1..1 + key_len];
        let after_key = &from_quote[key_len + 2..];
        out.push_str(&from_quote[..key_len + 2]);
        rest = after_key;
        let trimmed = after_key.trim_start();
        if !is_secret_key(&unescape_key(key)) || !trimmed.starts_with(':') {
            continue;
        }
        let value = trimmed[1..].trim_start();
        let Some(value_quote) = value.bytes().next().filter(|b| matches!(b, b'"' | b'\'')) else {
            continue;
        };
        // Skip the string value, honouring escapes; keep the structure visible.
        let skipped = after_key.len() - value.len();
        out.push_str(&after_key[..skipped]);
        let q = value_quote as char;
        out.push_str(&format!("{q}[redacted]{q}"));
        rest = match closing_quote(&value[1..], value_quote) {
            Some(len) => value.get(len + 2..).unwrap_or(""),
            None => "",
        };
    }
    out.push_str(rest);
    out
}

/// The length of a quoted string's content up to its closing `quote`,
/// honouring backslash escapes; `None` if it is not closed.
fn closing_quote(text: &str, quote: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b if b == quote => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// A key with its `\uXXXX` escapes decoded (`"\u0073ecret"` is `secret`).
fn unescape_key(key: &str) -> String {
    if !key.contains('\\') {
        return key.to_owned();
    }
    let mut out = String::with_capacity(key.len());
    let mut rest = key;
    while let Some(at) = rest.find("\\u") {
        out.push_str(&rest[..at]);
        let code = rest
            .get(at + 2..at + 6)
            .and_then(|h| u32::from_str_radix(h, 16).ok());
        match code.and_then(char::from_u32) {
            Some(c) => {
                out.push(c);
                rest = &rest[at + 6..];
            }
            None => {
                out.push_str("\\u");
                rest = &rest[at + 2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A serde error message with every quoted value masked: serde quotes what
/// it could not decode (`invalid type: string "…", expected u64`), which
/// may be a secret.
pub(crate) fn redact_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find('"') {
        out.push_str(&rest[..=at]);
        let after = &rest[at + 1..];
        match closing_quote(after, b'"') {
            Some(len) => {
                out.push_str("…\"");
                rest = &after[len + 1..];
            }
            None => {
                out.push('…');
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["secret", "token", "key", "password", "auth", "cookie"]
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

    #[test]
    fn redacts_every_form_an_echo_takes() {
        for (text, secret) in [
            (r#"{"X-Bunq-Client-Authentication":"tok123"}"#, "tok123"),
            (
                "X-Bunq-Client-Authentication: tok123\r\nAccept: */*",
                "tok123",
            ),
            ("authorization: Bearer acc3ss\n", "acc3ss"),
            ("sent with Bearer acc3ss to bunq", "acc3ss"),
            (
                "redirect=https%3A%2F%2Fx%3Fcode%3Dc0de%26state%3Dst4te",
                "c0de",
            ),
            (
                "redirect=https%3A%2F%2Fx%3Fcode%3Dc0de%26state%3Dst4te",
                "st4te",
            ),
            ("{'client_secret': 's3cret', 'id': 1}", "s3cret"),
            (r#"{"\u0073ecret":"s3cret"}"#, "s3cret"),
            (r#"{"client_\u0073ecret" : "s3cret"}"#, "s3cret"),
        ] {
            let red = redact_text(text);
            assert!(!red.contains(secret), "{text} -> {red}");
        }
        // What is not secret stays readable.
        assert_eq!(redact_text("Accept: */*"), "Accept: */*");
        assert_eq!(
            redact_text("{'id': 1, 'name': 'bunq'}"),
            "{'id': 1, 'name': 'bunq'}"
        );
    }

    #[test]
    fn serde_messages_lose_their_quoted_values() {
        assert_eq!(
            redact_quoted(r#"invalid type: string "s3cret", expected u64 at line 1"#),
            r#"invalid type: string "…", expected u64 at line 1"#
        );
        assert_eq!(redact_quoted(r#"unterminated "s3cr"#), r#"unterminated "…"#);
        assert_eq!(redact_quoted("no quotes"), "no quotes");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Every secret kind, in every form an echo takes, through every
        /// error that quotes a body or serde's text: neither `Display` nor
        /// `Debug` shows the value.
        #[test]
        fn no_secret_reaches_an_errors_display_or_debug(
            secret in "[A-Za-z0-9]{12,32}",
            kind in proptest::sample::select(vec![
                "token", "secret", "client_secret", "api_key", "password", "code", "state",
                "access_token", "X-Bunq-Client-Authentication", "Authorization",
            ]),
            form in 0usize..7,
        ) {
            let text = match form {
                0 => format!(r#"{{"{kind}":"{secret}"}}"#),
                1 => format!("{{'{kind}': '{secret}'}}"),
                2 => format!("GET /x?a=1&{kind}={secret}&b=2"),
                3 => format!("next=https%3A%2F%2Fx%3F{kind}%3D{secret}%26b%3D2"),
                4 => format!("{kind}: {secret}\r\nAccept: */*"),
                5 => format!("Authorization: Bearer {secret}"),
                _ => {
                    let escaped: String = kind.chars().map(|c| format!("\\u{:04x}", c as u32)).collect();
                    format!(r#"{{"{escaped}":"{secret}"}}"#)
                }
            };
            let serde_message = format!(r#"invalid type: string "{secret}", expected u64"#);
            let errors = [
                crate::Error::decode("X", "Response[0].X.id", &serde_message, text.as_bytes()),
                crate::Error::Api(crate::envelope::api_error(500, None, text.as_bytes())),
            ];
            for error in errors {
                let shown = format!("{error} {error:?}");
                proptest::prop_assert!(!shown.contains(&secret), "{} -> {}", text, shown);
            }
        }
    }
}
