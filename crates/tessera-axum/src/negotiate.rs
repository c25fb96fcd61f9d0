//! HTML or JSON: which answer a request asked for, by its `Accept` header.

use axum::http::HeaderMap;
use axum::http::header::ACCEPT;

/// Whether the request prefers an HTML page to JSON: `text/html` ranks strictly above
/// `application/json` in its `Accept` header (RFC 9110 §12.5.1: the most specific
/// range that matches a type gives its quality).
///
/// A browser's navigation (`text/html,…,*/*;q=0.8`) prefers HTML; `*/*`, a missing or
/// unreadable header, `application/json`, and a tie answer JSON, because a program
/// that cannot follow a redirect to a sign-in page is better served by a 401 it can
/// read than by a page it cannot.
///
/// ```
/// use axum::http::{HeaderMap, HeaderValue, header::ACCEPT};
/// use tessera_axum::prefers_html;
///
/// let mut browser = HeaderMap::new();
/// browser.insert(ACCEPT, HeaderValue::from_static(
///     "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"));
/// assert!(prefers_html(&browser));
///
/// let mut curl = HeaderMap::new();
/// curl.insert(ACCEPT, HeaderValue::from_static("*/*"));
/// assert!(!prefers_html(&curl));
/// assert!(!prefers_html(&HeaderMap::new()));
/// ```
#[must_use]
pub fn prefers_html(headers: &HeaderMap) -> bool {
    let mut html = Match::NONE;
    let mut json = Match::NONE;
    for value in headers.get_all(ACCEPT) {
        let Ok(value) = value.to_str() else {
            continue;
        };
        for range in value.split(',') {
            let Some((media, q)) = parse_range(range) else {
                continue;
            };
            html = html.better(&media, q, "text", "html");
            json = json.better(&media, q, "application", "json");
        }
    }
    // A quality above JSON's is above 0: `text/html;q=0` never wins.
    html.q > json.q
}

/// The quality, in thousandths, given by the most specific range seen so far.
#[derive(Clone, Copy)]
struct Match {
    /// 0: no range matched; 1: `*/*`; 2: `type/*`; 3: `type/subtype`.
    specificity: u8,
    q: u16,
}

impl Match {
    const NONE: Self = Self {
        specificity: 0,
        q: 0,
    };

    fn better(self, media: &(String, String), q: u16, kind: &str, sub: &str) -> Self {
        let (t, s) = media;
        let specificity = match (t.as_str(), s.as_str()) {
            ("*", "*") => 1,
            (t, "*") if t == kind => 2,
            (t, s) if t == kind && s == sub => 3,
            _ => return self,
        };
        // The most specific range decides; among equally specific ones, the best.
        std::cmp::max_by_key(self, Self { specificity, q }, |m| (m.specificity, m.q))
    }
}

/// `type/subtype;…;q=0.8` → the lowercased type and subtype and the quality in
/// thousandths; `None` for a range that is not `type/subtype`. A quality that is
/// not RFC 9110's `qvalue` counts as 0: a garbled header never wins HTML.
fn parse_range(range: &str) -> Option<((String, String), u16)> {
    let mut parts = range.split(';');
    let media = parts.next()?.trim();
    let (t, s) = media.split_once('/')?;
    // An empty type or subtype ("text/", "/html") matches no range below, so it needs
    // no refusal of its own.
    let (t, s) = (t.trim(), s.trim());
    let mut q = 1000;
    for param in parts {
        if let Some((name, value)) = param.split_once('=')
            && name.trim().eq_ignore_ascii_case("q")
        {
            q = parse_qvalue(value.trim()).unwrap_or(0);
        }
    }
    Some(((t.to_ascii_lowercase(), s.to_ascii_lowercase()), q))
}

/// RFC 9110 §12.4.2: `0[.ddd]` or `1[.000]`, in thousandths.
fn parse_qvalue(v: &str) -> Option<u16> {
    let (whole, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut thousandths: u16 = 0;
    for (i, b) in frac.bytes().enumerate() {
        let place = [100, 10, 1][i];
        thousandths += u16::from(b - b'0') * place;
    }
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests

    use axum::http::HeaderValue;
    use proptest::prelude::*;

    use super::*;

    fn accept(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(ACCEPT, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn browsers_get_html_and_programs_get_json() {
        // Chromium's and Firefox's navigation headers.
        assert!(prefers_html(&accept(
            "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
        )));
        assert!(prefers_html(&accept("text/html")));
        assert!(prefers_html(&accept("text/*, application/json;q=0.5")));
        assert!(prefers_html(&accept("TEXT/HTML; charset=utf-8")));
        assert!(!prefers_html(&accept("application/json")));
        assert!(!prefers_html(&accept("*/*")));
        assert!(!prefers_html(&accept("application/json, text/html")));
        assert!(!prefers_html(&accept("text/html;q=0.5, application/json")));
        assert!(!prefers_html(&accept("text/html;q=0")));
        assert!(!prefers_html(&accept("text/, /html, */")));
        assert!(!prefers_html(&HeaderMap::new()));
        // The specific range decides, not the generous wildcard.
        assert!(!prefers_html(&accept(
            "text/html;q=0.1, text/*;q=1, */*;q=0.5"
        )));
        assert!(prefers_html(&accept("text/html;q=0.6, */*;q=0.5")));
        // Another type's wildcard says nothing about HTML.
        assert!(!prefers_html(&accept("image/*, application/json;q=0.5")));
        // Among equally specific ranges the best quality counts, in either order.
        for v in [
            "text/html;q=0.9, text/html;q=0.1, application/json;q=0.5",
            "text/html;q=0.1, text/html;q=0.9, application/json;q=0.5",
        ] {
            assert!(prefers_html(&accept(v)), "{v}");
        }
        assert!(!prefers_html(&accept(
            "application/json;q=0.9, application/json;q=0.1, text/html;q=0.5"
        )));
    }

    #[test]
    fn a_garbled_quality_never_wins_html() {
        assert!(!prefers_html(&accept("text/html;q=2")));
        assert!(!prefers_html(&accept("text/html;q=1.5")));
        assert!(!prefers_html(&accept("text/html;q=0.1234")));
        assert!(!prefers_html(&accept("text/html;q=abc")));
        assert_eq!(parse_qvalue("0.8"), Some(800));
        assert_eq!(parse_qvalue("1.000"), Some(1000));
        assert_eq!(parse_qvalue("0.05"), Some(50));
    }

    proptest! {
        /// No header value makes it panic.
        #[test]
        fn any_accept_header_is_read_without_panic(v in "[ -~]{0,120}") {
            if let Ok(value) = HeaderValue::from_str(&v) {
                let mut h = HeaderMap::new();
                h.insert(ACCEPT, value);
                let _ = prefers_html(&h);
            }
        }

        /// Adding a JSON range of full quality never turns an answer into HTML.
        #[test]
        fn json_at_full_quality_always_wins(v in "[a-z/*;=.0-9, ]{0,60}") {
            let with_json = format!("{v},application/json");
            if let Ok(value) = HeaderValue::from_str(&with_json) {
                let mut h = HeaderMap::new();
                h.insert(ACCEPT, value);
                prop_assert!(!prefers_html(&h));
            }
        }
    }
}
