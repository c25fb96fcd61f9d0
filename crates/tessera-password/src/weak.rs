//! The forms of a password that the blocklist, the pattern checks and the context words see.
//!
//! A blocklist compared with the password as typed is easy to step around: `"password "`
//! (a trailing space), `"pаssword"` (a Cyrillic а), `"pass\u{200b}word"` (a zero-width space),
//! `P@ssw0rd!`, `Summer2024!`, `passwordpassword`. Each of those is as weak as the list entry
//! underneath, so the checks look at a handful of *candidate* forms:
//!
//! 1. the **skeleton**: invisible characters removed, letters that look like Latin letters
//!    (Cyrillic, Greek, Armenian, Latin small capitals and dotless i) replaced by them,
//!    diacritics dropped, lowercased, outer white space trimmed and inner runs collapsed;
//! 2. that skeleton without the **decorations** people put around a word: a leading and a
//!    trailing run of digits, punctuation and spaces (`2024`, `123!`, `!!`), dropped only
//!    when they are no longer than the word they leave or are themselves easy to guess
//!    (`Fall2024!!!!`, `bear12345678!`); a short word inside a long random decoration
//!    (`#!*^##^^bE@r#!#*`) is a strong password, not the word;
//! 3. each of those with common **leetspeak** undone (`@`→a, `0`→o, `3`→e, `$`→s, …), when the
//!    form holds a Latin letter;
//! 4. when a form is wholly one **unit repeated** (`passwordpassword`, `ana2024!ana2024!`,
//!    `1234567812345678`), the unit and its forms as above.
//!
//! Only whole forms are compared with the list, never substrings, so a long passphrase that
//! happens to contain a common word (`"correct horse battery staple"`) is not refused.
//!
//! The look-alike map is a hand-picked subset of the Unicode Technical Standard #39
//! confusables data (`confusables.txt`, Unicode 15.1, the "MA" mappings whose prototype is a
//! single lowercase Latin letter), extended with a few looser shapes commonly used to dodge
//! filters (Cyrillic к, м, т, н; Greek γ, η). A crate implementing the full TR39 skeleton
//! (about 6,000 mappings) was not added: the password only has to be compared with a list of
//! Latin-script passwords, for which these letters are the ones that matter.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;
use zeroize::Zeroizing;

use crate::blocklist::{is_keyboard_run, is_repeated, is_sequential};

/// Whether `c` is invisible when rendered: format characters, fillers and variation
/// selectors (the Default_Ignorable_Code_Point property of Unicode, minus nothing a person can
/// see). They neither count towards the length nor separate the letters of a blocklisted word.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// The Latin letter a look-alike stands for (UTS #39 confusables, see the module docs), or
/// `None` for a character that is not a look-alike.
fn confusable(c: char) -> Option<char> {
    Some(match c {
        // Cyrillic, capital and small.
        'А' | 'а' => 'a',
        'В' | 'ь' => 'b',
        'С' | 'с' => 'c',
        'Ԁ' | 'ԁ' => 'd',
        'Е' | 'е' | 'Ё' | 'ё' => 'e',
        'Н' | 'н' | 'һ' => 'h',
        'І' | 'і' | 'Ї' | 'ї' | 'Ӏ' => 'i',
        'Ј' | 'ј' => 'j',
        'К' | 'к' => 'k',
        'ӏ' => 'l',
        'М' | 'м' => 'm',
        'п' => 'n',
        'О' | 'о' => 'o',
        'Р' | 'р' => 'p',
        'Ԛ' | 'ԛ' => 'q',
        'г' => 'r',
        'Ѕ' | 'ѕ' => 's',
        'Т' | 'т' => 't',
        'Ѵ' | 'ѵ' => 'v',
        'Ԝ' | 'ԝ' => 'w',
        'Х' | 'х' => 'x',
        'У' | 'у' | 'Ү' | 'ү' => 'y',
        // Greek, capital and small.
        'Α' | 'α' => 'a',
        'Β' => 'b',
        // The lunate sigmas Ϲ ϲ look like C c too, but NFKC has already made them Σ ς.
        'Ε' | 'ε' => 'e',
        'Η' => 'h',
        'Ι' | 'ι' => 'i',
        'Ϳ' | 'ϳ' => 'j',
        'Κ' | 'κ' => 'k',
        'Μ' => 'm',
        'Ν' | 'η' => 'n',
        'Ο' | 'ο' | 'σ' => 'o',
        'Ρ' | 'ρ' => 'p',
        'Τ' | 'τ' => 't',
        'υ' => 'u',
        'ν' => 'v',
        'ω' => 'w',
        'Χ' | 'χ' => 'x',
        'Υ' | 'γ' => 'y',
        'Ζ' => 'z',
        // Armenian.
        'հ' => 'h',
        'ո' => 'n',
        'օ' => 'o',
        'զ' => 'q',
        'ս' => 'u',
        'ց' => 'g',
        // Latin look-alikes: dotless i, script a and g, small capitals.
        'ı' | 'ɩ' | 'ɪ' => 'i',
        'ɑ' => 'a',
        'ɡ' | 'ɢ' => 'g',
        'ʙ' => 'b',
        'ᴄ' => 'c',
        'ᴅ' => 'd',
        'ᴇ' => 'e',
        'ʜ' => 'h',
        'ᴊ' => 'j',
        'ᴋ' => 'k',
        'ʟ' | 'ǀ' => 'l',
        'ᴍ' => 'm',
        'ɴ' => 'n',
        'ᴏ' => 'o',
        'ᴘ' => 'p',
        'ʀ' => 'r',
        'ꜱ' => 's',
        'ᴛ' => 't',
        'ᴜ' => 'u',
        'ᴠ' => 'v',
        'ᴡ' => 'w',
        'ʏ' => 'y',
        'ᴢ' => 'z',
        _ => return None,
    })
}

/// The skeleton of an NFKC-normalised password or word: invisible characters removed,
/// look-alikes mapped to Latin letters, diacritics dropped, lowercased, outer white space
/// trimmed and inner runs of white space collapsed to one space.
pub(crate) fn skeleton(normalized: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(normalized.len()));
    let mut pending_space = false;
    // ASCII has no look-alikes, invisibles or accents to undo: skip the decomposition.
    let chars: &mut dyn Iterator<Item = char> = if normalized.is_ascii() {
        &mut normalized.chars()
    } else {
        // NFD splits "é" into "e" and a combining accent, which is then dropped.
        &mut normalized.nfd()
    };
    for c in chars {
        if is_invisible(c) || is_combining_mark(c) {
            continue;
        }
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        match confusable(c) {
            Some(latin) => out.push(latin),
            None => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// The letter a leetspeak character stands for; `one_as` chooses between "i" and "l" for `1`.
fn unleet(c: char, one_as: char) -> Option<char> {
    Some(match c {
        '@' | '4' => 'a',
        '8' => 'b',
        '(' => 'c',
        '3' => 'e',
        '6' | '9' => 'g',
        '!' => 'i',
        '1' | '|' => one_as,
        '0' => 'o',
        '$' | '5' => 's',
        '7' | '+' => 't',
        '2' => 'z',
        _ => return None,
    })
}

/// `form` with leetspeak undone, or `None` when it holds no Latin letter (a run of digits is
/// a number, not a disguised word) or nothing would change.
fn read_leet(form: &str, one_as: char) -> Option<Zeroizing<String>> {
    if !form.chars().any(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let mut changed = false;
    let mut out = Zeroizing::new(String::with_capacity(form.len()));
    for c in form.chars() {
        match unleet(c, one_as) {
            Some(letter) => {
                changed = true;
                out.push(letter);
            }
            None => out.push(c),
        }
    }
    changed.then_some(out)
}

/// Whether `c` is part of a decoration rather than of the word it decorates.
fn is_decoration(c: char) -> bool {
    !c.is_alphabetic()
}

/// Whether a run of decoration is itself easy to guess: at most two pieces, digits and other
/// marks (`2024` and `!!!!`), each of at most four characters or one character or short unit
/// repeated, a run of consecutive characters or a keyboard row (`12345678`, `!@#$%^&*`).
fn is_guessable_decoration(run: &str) -> bool {
    let simple = |piece: &str| {
        piece.chars().count() <= 4
            || is_repeated(piece)
            || is_sequential(piece)
            || is_keyboard_run(piece)
    };
    // Split where digits meet other marks; a third piece makes it a pattern of its own.
    let is_digit = |c: char| c.is_numeric();
    let first_is_digit = run.chars().next().is_some_and(is_digit);
    let split = run
        .find(|c: char| is_digit(c) != first_is_digit)
        .unwrap_or(run.len());
    let (first, second) = run.split_at(split);
    let one_class = |piece: &str| piece.chars().all(|c| is_digit(c) != first_is_digit);
    simple(first) && one_class(second) && simple(second)
}

/// `form` without its leading and/or trailing decoration (`2024password123!` → `password`).
///
/// A decoration is dropped only when it is no longer than the word it keeps or each dropped
/// run is itself guessable ([`is_guessable_decoration`]): `bear` wrapped in twelve random
/// marks (`#!*^##^^bE@r#!#*`) is a strong password, not the list entry `bear` decorated.
/// Unchanged when stripping would leave nothing or the decoration is not dropped.
fn strip(form: &str, leading: bool, trailing: bool) -> &str {
    let start = if leading {
        form.len() - form.trim_start_matches(is_decoration).len()
    } else {
        0
    };
    let end = if trailing {
        form.trim_end_matches(is_decoration).len()
    } else {
        form.len()
    };
    if start >= end || (start == 0 && end == form.len()) {
        return form;
    }
    let (head, core, tail) = (&form[..start], &form[start..end], &form[end..]);
    let dropped = head.chars().count() + tail.chars().count();
    let kept = core.chars().count();
    if dropped <= kept || (is_guessable_decoration(head) && is_guessable_decoration(tail)) {
        core
    } else {
        form
    }
}

/// `form` without its trailing decoration (`password123!` → `password`), as [`strip`].
fn strip_trailing(form: &str) -> &str {
    strip(form, false, true)
}

/// `form` without its leading decoration (`2024password` → `password`), as [`strip`].
fn strip_leading(form: &str) -> &str {
    strip(form, true, false)
}

/// `form` without both decorations, as [`strip`] (judged together, not one after the other).
fn strip_both(form: &str) -> &str {
    strip(form, true, true)
}

/// The shortest unit `form` is wholly made of, repeated at least twice (`abcabc` → `abc`).
pub(crate) fn repeated_unit(form: &str) -> Option<&str> {
    let n = form.len();
    // Byte lengths: a unit that is not on a char boundary cannot repeat into valid UTF-8 that
    // equals `form`, and `get` refuses it.
    (1..=n / 2).find_map(|unit| {
        if !n.is_multiple_of(unit) {
            return None;
        }
        let first = form.get(..unit)?;
        let all = (unit..n)
            .step_by(unit)
            .all(|i| form.get(i..i + unit) == Some(first));
        all.then_some(first)
    })
}

/// The candidate forms of a password, as described in the module docs.
///
/// `forms` are the literal forms (skeleton, decorations stripped, repeated units): the pattern
/// checks (repeats, sequences, keyboard rows) and context words look at those. `all` adds
/// their leetspeak readings: blocklists look at every form.
pub(crate) struct Candidates {
    /// Skeleton, stripped forms and repeated units, without leetspeak readings.
    pub(crate) literal: Vec<Zeroizing<String>>,
    /// Leetspeak readings of the literal forms (and their stripped forms).
    pub(crate) unleeted: Vec<Zeroizing<String>>,
}

impl Candidates {
    /// The candidates of an NFKC-normalised password.
    pub(crate) fn of(normalized: &str) -> Self {
        let mut literal: Vec<Zeroizing<String>> = Vec::new();
        let push = |list: &mut Vec<Zeroizing<String>>, s: &str| {
            if !s.is_empty() && !list.iter().any(|x| x.as_str() == s) {
                list.push(Zeroizing::new(s.to_owned()));
            }
        };
        let base = skeleton(normalized);
        let mut roots = vec![base.clone()];
        if let Some(unit) = repeated_unit(&base) {
            roots.push(Zeroizing::new(unit.to_owned()));
        }
        // A repeated unit once the decorations are gone (`!!passpass!!`), or a decorated unit
        // repeated (`ana2024!ana2024!`, handled above), both reduce to the word.
        for root in roots {
            for form in [
                root.as_str(),
                strip_trailing(&root),
                strip_leading(&root),
                strip_both(&root),
            ] {
                push(&mut literal, form);
                if let Some(unit) = repeated_unit(form) {
                    push(&mut literal, unit);
                    push(&mut literal, strip_both(unit));
                }
            }
        }
        let mut unleeted: Vec<Zeroizing<String>> = Vec::new();
        // A trailing decoration is also in the list without it, and leetspeak is read in the
        // word, not in the digits after it: reading only the forms that end in a letter halves
        // the lookups without losing `P@ssw0rd!` (read as its form `p@ssw0rd`).
        for form in literal.iter().filter(|f| strip_trailing(f) == f.as_str()) {
            for one_as in ['i', 'l'] {
                if let Some(read) = read_leet(form, one_as) {
                    push(&mut unleeted, &read);
                    push(&mut unleeted, strip_both(&read));
                }
            }
        }
        Self { literal, unleeted }
    }

    /// The literal forms, the skeleton first.
    pub(crate) fn literal_forms(&self) -> impl Iterator<Item = &str> {
        self.literal.iter().map(|s| s.as_str())
    }

    /// Every candidate: the literal forms, then the leetspeak readings.
    pub(crate) fn all(&self) -> impl Iterator<Item = &str> {
        self.literal
            .iter()
            .chain(&self.unleeted)
            .map(|s| s.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(password: &str) -> Vec<String> {
        let normalized = crate::normalize::normalize(password);
        Candidates::of(&normalized)
            .all()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn skeleton_maps_look_alikes_and_drops_invisibles() {
        assert_eq!(*skeleton("p\u{430}ssword"), "password");
        assert_eq!(*skeleton("\u{420}\u{410}SSW\u{39f}RD"), "password");
        assert_eq!(*skeleton("p\u{3b1}ssw\u{3bf}rd"), "password");
        assert_eq!(*skeleton("pass\u{200b}wo\u{ad}rd\u{feff}"), "password");
        assert_eq!(*skeleton("  p\u{e4}ssw\u{f6}rd \t "), "password");
        assert_eq!(*skeleton("correct   horse"), "correct horse");
        // Scripts without look-alikes are kept (lowercased).
        assert_eq!(*skeleton("\u{5bc6}\u{7801}"), "\u{5bc6}\u{7801}");
    }

    /// Every look-alike of the map, grouped by the Latin letter UTS #39 (confusables.txt)
    /// and the looser shapes listed in the module docs give for it.
    #[test]
    fn every_look_alike_maps_to_its_latin_letter() {
        for (latin, look_alikes) in [
            ('a', "АаΑαɑ"),
            ('b', "ВьΒʙ"),
            ('c', "Ссᴄ"),
            ('d', "Ԁԁᴅ"),
            ('e', "ЕеΕεᴇ"),
            ('g', "ցɡɢ"),
            ('h', "НнһΗհʜ"),
            ('i', "ІіΙιıɩɪ"),
            ('j', "ЈјͿϳᴊ"),
            ('k', "КкΚκᴋ"),
            ('l', "ӏʟǀ"),
            ('m', "МмΜᴍ"),
            ('n', "пΝηոɴ"),
            ('o', "ОоΟοσօᴏ"),
            ('p', "РрΡρᴘ"),
            ('q', "Ԛԛզ"),
            ('r', "гʀ"),
            ('s', "Ѕѕꜱ"),
            ('t', "ТтΤτᴛ"),
            ('u', "υսᴜ"),
            ('v', "Ѵѵνᴠ"),
            ('w', "Ԝԝωᴡ"),
            ('x', "ХхΧχ"),
            ('y', "УуҮүΥγʏ"),
            ('z', "Ζᴢ"),
        ] {
            let expected: String = look_alikes.chars().map(|_| latin).collect();
            for c in look_alikes.chars() {
                assert_eq!(confusable(c), Some(latin), "{c:?} (U+{:04X})", u32::from(c));
            }
            // Through NFKC and the skeleton, as validation sees them.
            let normalized = crate::normalize::normalize(look_alikes);
            assert_eq!(*skeleton(&normalized), expected, "{look_alikes}");
        }
        // Precomposed Cyrillic letters lose their diacritics: Ё and Ї are Е and І.
        assert_eq!(*skeleton(&crate::normalize::normalize("ЁёЇї")), "eeii");
        for not_alike in ['b', 'ж', 'λ', 'ß', '1', ' '] {
            assert_eq!(confusable(not_alike), None, "{not_alike:?}");
        }
    }

    /// Each form is listed once and none is empty: every form costs a blocklist lookup.
    #[test]
    fn candidates_are_distinct_and_never_empty() {
        assert!(all("").is_empty());
        assert!(all("   ").is_empty());
        for password in [
            "password",
            "P@ssw0rd!",
            "passpass",
            "Summer2024!",
            "!!passpass!!",
        ] {
            let forms = all(password);
            let mut distinct = forms.clone();
            distinct.sort();
            distinct.dedup();
            assert_eq!(distinct.len(), forms.len(), "{password}: {forms:?}");
            assert!(forms.iter().all(|f| !f.is_empty()), "{password}: {forms:?}");
        }
    }

    #[test]
    fn every_leet_character_reads_as_its_letter() {
        for (leet, letter) in [
            ('@', 'a'),
            ('4', 'a'),
            ('8', 'b'),
            ('(', 'c'),
            ('3', 'e'),
            ('6', 'g'),
            ('9', 'g'),
            ('!', 'i'),
            ('0', 'o'),
            ('$', 's'),
            ('5', 's'),
            ('7', 't'),
            ('+', 't'),
            ('2', 'z'),
        ] {
            assert_eq!(unleet(leet, 'i'), Some(letter), "{leet:?}");
        }
        // 1 and | read as i or l, as the caller asks.
        for one in ['1', '|'] {
            assert_eq!(unleet(one, 'i'), Some('i'));
            assert_eq!(unleet(one, 'l'), Some('l'));
        }
        for plain in ['a', 'z', '%', '-', ' '] {
            assert_eq!(unleet(plain, 'i'), None, "{plain:?}");
        }
    }

    #[test]
    fn guessable_decorations() {
        for run in [
            "",
            "1",
            "2024",
            "123!",
            "!!",
            "2024!",
            "2024!!!!",
            "12345678!",
            "!@#$%^&*(",
            "0000000000",
            "!!!!!!!!!",
            "98765!!",
            "zzzz",
        ] {
            assert!(is_guessable_decoration(run), "{run:?}");
        }
        for run in [
            "#!*^##^^",
            "##0#0#00^*!",
            "83920",
            "1!2@3#",
            "2024!!#!*^",
            "12!34!",
        ] {
            assert!(!is_guessable_decoration(run), "{run:?}");
        }
    }

    /// Found by the property test `random_strings_are_accepted`: a short word wrapped in a
    /// long random decoration was read as the word (`bear`, `nn` repeated).
    #[test]
    fn long_random_decorations_are_not_dropped() {
        for (password, not_a_candidate) in [
            ("#!*^##^^bE@r#!#*", "bear"),
            ("0^*Nn##0#0#00^*!", "nn"),
            ("x83920!#", "x"),
        ] {
            let forms = all(password);
            assert!(
                !forms.iter().any(|f| f == not_a_candidate),
                "{password}: {forms:?}"
            );
        }
        // Dropped when no longer than the word, or guessable however long.
        assert_eq!(strip_both("summer83920"), "summer");
        assert_eq!(strip_both("#!*^#summer#!#*^"), "#!*^#summer#!#*^");
        assert_eq!(strip_both("#!summer#!"), "summer");
        assert_eq!(strip_both("fall2024!!!!"), "fall");
        assert_eq!(strip_both("bear12345678!"), "bear");
        assert_eq!(strip_both("!@#$%^&*(qwerty"), "qwerty");
        assert_eq!(strip_trailing("2024bear#!*^##^^&"), "2024bear#!*^##^^&");
        assert_eq!(strip_leading("2024bear#!*^##^^&"), "bear#!*^##^^&");
        assert_eq!(strip_both("2024"), "2024");
        assert_eq!(strip_both("bear"), "bear");
    }

    #[test]
    fn candidates_undo_decorations_leet_and_repeats() {
        for (password, core) in [
            ("Password1!", "password"),
            ("P@ssw0rd!", "password"),
            ("Summer2024!", "summer"),
            ("2024summer", "summer"),
            ("passwordpassword", "password"),
            ("ana2024!ana2024!", "ana"),
            ("1234567812345678", "12345678"),
            ("l3tm31n", "letmein"),
            ("!!passpass!!", "pass"),
        ] {
            assert!(
                all(password).iter().any(|c| c == core),
                "{password}: {:?}",
                all(password)
            );
        }
        // Digits alone are not read as leetspeak.
        assert!(!all("1234567812345678").iter().any(|c| c.contains('i')));
    }

    #[test]
    fn repeated_units() {
        assert_eq!(repeated_unit("abab"), Some("ab"));
        assert_eq!(repeated_unit("aaaa"), Some("a"));
        assert_eq!(repeated_unit("passwordpassword"), Some("password"));
        assert_eq!(repeated_unit("ééé"), Some("é"));
        assert_eq!(repeated_unit("abcab"), None);
        assert_eq!(repeated_unit("a"), None);
        assert_eq!(repeated_unit(""), None);
    }

    proptest::proptest! {
        #[test]
        fn candidates_never_panic_and_stay_bounded(s in "\\PC{0,64}") {
            let normalized = crate::normalize::normalize(&s);
            let c = Candidates::of(&normalized);
            proptest::prop_assert!(c.all().count() <= 64);
        }
    }
}
