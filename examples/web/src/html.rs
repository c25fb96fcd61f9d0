//! Server-rendered HTML without a template engine: one escaping function and a layout.
//! Every interpolated value goes through [`esc`]; constant markup is written inline.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Escapes text for HTML element content and double-quoted attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The hidden CSRF field every form carries.
pub fn csrf_field(token: &str) -> String {
    format!(
        r#"<input type="hidden" name="csrf" value="{}">"#,
        esc(token)
    )
}

/// A notice above a form: `error` is announced to screen readers at once.
pub fn notice(kind: Notice, text: &str) -> String {
    match kind {
        Notice::Error => format!(r#"<p class="error" role="alert">{}</p>"#, esc(text)),
        Notice::Info => format!(r#"<p class="info" role="status">{}</p>"#, esc(text)),
    }
}

/// The kind of a [`notice`].
#[derive(Clone, Copy, Debug)]
pub enum Notice {
    /// Something was refused.
    Error,
    /// Something happened.
    Info,
}

/// A whole page: `title` is escaped, `body` is markup built from escaped parts.
/// `signed_in` adds the navigation of a signed-in person (with the sign-out form).
pub fn page(title: &str, body: &str, nav: Option<&str>) -> Response {
    page_with_status(StatusCode::OK, title, body, nav)
}

/// [`page`] with another status (422 for refused input, 401 for a failed sign-in).
pub fn page_with_status(
    status: StatusCode,
    title: &str,
    body: &str,
    nav: Option<&str>,
) -> Response {
    let nav = match nav {
        Some(csrf) => format!(
            r#"<nav aria-label="Account"><a href="/credentials">Credentials</a>
<form method="post" action="/sign-out" class="inline">{}<button type="submit">Sign out</button></form></nav>"#,
            csrf_field(csrf)
        ),
        None => r#"<nav aria-label="Site"><a href="/sign-in">Sign in</a> <a href="/sign-up">Sign up</a></nav>"#.to_owned(),
    };
    let html = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Tessera</title>
<link rel="stylesheet" href="/static/app.css">
</head>
<body>
<header><p class="brand">Tessera</p>{nav}</header>
<main>
<h1>{title}</h1>
{body}
</main>
</body>
</html>
"#,
        title = esc(title),
    );
    let mut response = (status, html).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc(r#"<script>"a" & 'b'</script>"#),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
    }
}
