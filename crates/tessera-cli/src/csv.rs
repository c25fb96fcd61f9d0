//! CSV as RFC 4180 writes it: fields separated by commas, records ended by CRLF, a
//! field quoted when it holds a comma, a double quote, CR or LF, its quotes doubled.

use std::borrow::Cow;

/// One field, quoted when it must be.
pub(crate) fn field(text: &str) -> Cow<'_, str> {
    if text.contains([',', '"', '\r', '\n']) {
        Cow::Owned(format!("\"{}\"", text.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(text)
    }
}

/// A free-text field (a username, a provider's name) made safe to open in a
/// spreadsheet: one that begins with a character a spreadsheet reads as the start of
/// a formula gets a leading `'` (OWASP's advice against CSV injection). The report's
/// other fields are numbers, times and keywords, never such text.
pub(crate) fn text(value: &str) -> Cow<'_, str> {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    }
}

/// One record: the fields quoted as needed, joined by commas, ended by CRLF.
pub(crate) fn record<S: AsRef<str>>(fields: &[S]) -> String {
    let mut out = fields
        .iter()
        .map(|f| field(f.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A reader of RFC 4180 records, strict: to check the writer against the grammar,
    /// not to be lenient about what it reads.
    fn parse(text: &str) -> Vec<Vec<String>> {
        let mut records = Vec::new();
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut chars = text.chars().peekable();
        let mut quoted = false;
        let mut at_start = true;
        while let Some(c) = chars.next() {
            if quoted {
                if c == '"' {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        field.push('"');
                    } else {
                        quoted = false;
                        assert!(
                            matches!(chars.peek(), Some(',' | '\r') | None),
                            "a closing quote ends the field"
                        );
                    }
                } else {
                    field.push(c);
                }
                continue;
            }
            match c {
                '"' if at_start => {
                    quoted = true;
                    at_start = false;
                }
                '"' => panic!("a bare quote inside an unquoted field"),
                ',' => {
                    fields.push(std::mem::take(&mut field));
                    at_start = true;
                }
                '\r' => {
                    assert_eq!(chars.next(), Some('\n'), "records end with CRLF");
                    fields.push(std::mem::take(&mut field));
                    records.push(std::mem::take(&mut fields));
                    at_start = true;
                }
                '\n' => panic!("a bare LF outside quotes"),
                other => {
                    field.push(other);
                    at_start = false;
                }
            }
        }
        assert!(!quoted, "an unterminated quoted field");
        assert!(
            fields.is_empty() && field.is_empty(),
            "the last record ends with CRLF"
        );
        records
    }

    #[test]
    fn quotes_only_what_needs_it() {
        assert_eq!(record(&["ana", "1", "N/A"]), "ana,1,N/A\r\n");
        assert_eq!(
            record(&["o'brien, jr", "say \"hi\"", "a\nb"]),
            "\"o'brien, jr\",\"say \"\"hi\"\"\",\"a\nb\"\r\n"
        );
        assert_eq!(record(&[""]), "\r\n");
    }

    #[test]
    fn formula_starts_are_neutralised() {
        for (value, safe) in [
            ("=cmd()", "'=cmd()"),
            ("+1", "'+1"),
            ("-2-3", "'-2-3"),
            ("@sum", "'@sum"),
            ("ana", "ana"),
            ("a=b", "a=b"),
        ] {
            assert_eq!(text(value), safe);
        }
    }

    proptest! {
        /// Any fields, usernames with commas and quotes among them, read back exactly.
        #[test]
        fn records_round_trip(rows in prop::collection::vec(
            prop::collection::vec("[a-z,\"' \r\n.\\-=é]{0,12}", 1..6), 1..5)
        ) {
            let text: String = rows.iter().map(|r| record(r)).collect();
            // One empty field alone is the empty line, which RFC 4180 reads as one
            // empty field too: the reader above agrees.
            prop_assert_eq!(parse(&text), rows);
        }
    }
}
