//! NIST SP 800-63B §5.1.1.2 rules one by one, organisation rules, context words, unicode.

use proptest::prelude::*;

use super::*;
use crate::{Error, HashParams, PasswordPolicyBuilder, PasswordUse, normalized_len};

fn codes(policy: &PasswordPolicy, password: &str, context: &Context) -> Vec<&'static str> {
    match policy.validate(&Password::new(password), context) {
        Ok(()) => Vec::new(),
        Err(v) => v.codes(),
    }
}

/// The default policy as it applies to a password used with a second factor (minimum 8), so
/// that the rules other than length can be probed with short passwords.
fn default_codes(password: &str) -> Vec<&'static str> {
    codes(
        &PasswordPolicy::DEFAULT.for_use(PasswordUse::WithSecondFactor),
        password,
        &Context::new(),
    )
}

/// The default policy as plain `validate` applies it: the password is the only factor.
fn only_factor_codes(password: &str) -> Vec<&'static str> {
    codes(&PasswordPolicy::DEFAULT, password, &Context::new())
}

fn build(
    f: impl FnOnce(&mut PasswordPolicyBuilder) -> &mut PasswordPolicyBuilder,
) -> PasswordPolicy {
    let mut b = PasswordPolicy::builder();
    f(&mut b);
    match b.build() {
        Ok(p) => p.for_use(PasswordUse::WithSecondFactor),
        Err(e) => panic!("test policy must build: {e}"),
    }
}

// NIST SP 800-63B-4 §3.1.1.2: at least 8 characters with a second factor, 15 without.
#[test]
fn minimum_length_is_eight_with_mfa_fifteen_without() {
    assert_eq!(default_codes("Tr0ub4d"), ["too_short"]);
    assert!(default_codes("Tr0ub4d!").is_empty());
    // Plain `validate` on the default policy applies the password-only rule.
    assert_eq!(only_factor_codes("Tr0ub4d!"), ["too_short"]);
    assert_eq!(only_factor_codes("Tr0ub4d!x7#kQ2"), ["too_short"]);
    assert!(only_factor_codes("Tr0ub4d!x7#kQ2v").is_empty());
    let err = PasswordPolicy::DEFAULT.validate(&Password::new("x7#k"), &Context::new());
    assert_eq!(
        err.map_err(|v| v.as_slice()[0].params()),
        Err(vec![("min", 15)])
    );
    let err = PasswordPolicy::DEFAULT
        .for_use(PasswordUse::WithSecondFactor)
        .validate(&Password::new("x7#k"), &Context::new());
    assert_eq!(
        err.map_err(|v| v.as_slice()[0].params()),
        Err(vec![("min", 8)])
    );
}

// NIST: allow at least 64; default maximum 128, configurable, never truncated.
#[test]
fn maximum_length_is_enforced_not_truncated() {
    let at_max = "ab".repeat(64);
    assert!(!default_codes(&at_max).contains(&"too_long"));
    let over = format!("{at_max}c");
    assert_eq!(default_codes(&over), ["too_long"]);
    let wide = build(|b| b.max_length(1024));
    assert!(
        codes(&wide, &"zq".repeat(300), &Context::new())
            .iter()
            .all(|c| *c != "too_long")
    );
    // Over the hashing bound: reported as too long without further work.
    let huge = "x".repeat(MAX_PASSWORD_BYTES + 1);
    assert_eq!(default_codes(&huge), ["too_long"]);
}

// NIST: length in code points after normalisation; every printable character and spaces.
#[test]
fn unicode_counts_code_points_after_nfkc() {
    // Eight code points once "e" + combining acute is composed; nine bytes-worth of chars before.
    assert!(default_codes("cafe\u{301} rêvé").is_empty());
    assert_eq!(normalized_len("cafe\u{301}"), 4);
    // Seven emoji are seven code points (28 bytes): too short.
    assert_eq!(default_codes("🐴🔋📎🦄🌈🍕🚀"), ["too_short"]);
    assert!(default_codes("🐴🔋📎🦄🌈🍕🚀🎸").is_empty());
    assert!(default_codes("пароль надёжный").is_empty());
    assert!(default_codes("密码很长很安全的句子").is_empty());
    assert!(default_codes("        spaces ok  ").is_empty());
}

#[test]
fn control_characters_are_refused() {
    assert_eq!(default_codes("tab\there please"), ["invalid_character"]);
}

// NIST: no composition rules by default.
#[test]
fn no_composition_rules_by_default() {
    assert!(default_codes("all lowercase words here").is_empty());
    assert!(default_codes("9081726354").is_empty());
}

// Organisation rules, as Keycloak and AWS IAM offer them.
#[test]
fn character_classes_report_each_missing_class() {
    let p = build(|b| {
        b.min_digits(2)
            .min_lowercase(1)
            .min_uppercase(1)
            .min_special(1)
    });
    assert_eq!(
        codes(&p, "NOLOWERCASEHERE", &Context::new()),
        ["missing_digit", "missing_lowercase", "missing_special"]
    );
    assert!(codes(&p, "Zebra crossing 42", &Context::new()).is_empty());
    let err = p
        .validate(&Password::new("zebracrossing"), &Context::new())
        .err();
    let first = err.as_ref().map(|v| v.as_slice()[0].clone());
    assert_eq!(first, Some(Violation::MissingDigit { min: 2 }));
    assert_eq!(
        first.map(|v| v.message()),
        Some("Include at least 2 digits.".to_owned())
    );
}

#[test]
fn regular_expression_rule() {
    let p = build(|b| b.pattern("^[^0-9]"));
    assert_eq!(
        codes(&p, "1 leading digit", &Context::new()),
        ["pattern_mismatch"]
    );
    assert!(codes(&p, "no leading digit 1", &Context::new()).is_empty());
    assert_eq!(
        PasswordPolicy::builder().pattern("(unclosed").build().err(),
        Some(Error::InvalidPattern)
    );
}

// NIST: compare against lists of commonly used, expected or compromised values.
#[test]
fn blocklist_is_case_insensitive_after_nfkc() {
    assert_eq!(default_codes("password"), ["blocklisted"]);
    assert_eq!(default_codes("PassWord1"), ["blocklisted"]);
    assert_eq!(
        default_codes("ＰＡＳＳＷＯＲＤ"),
        ["blocklisted"],
        "full-width folds to ASCII"
    );
    assert_eq!(default_codes("iloveyou"), ["blocklisted"]);
    assert!(default_codes("iloveyou but not like that").is_empty());
    let off = build(|b| b.blocklist(false));
    assert!(codes(&off, "password", &Context::new()).is_empty());
}

// NIST: repetitive or sequential characters.
#[test]
fn repeats_sequences_and_keyboard_runs() {
    assert!(default_codes("aaaaaaaa").contains(&"repeated"));
    assert!(default_codes("abcabcabc").contains(&"repeated"));
    assert!(default_codes("12345678").contains(&"sequential"));
    assert!(default_codes("abcdefgh").contains(&"sequential"));
    assert!(default_codes("qwertyui").contains(&"keyboard_run"));
    assert_eq!(default_codes("ZYXWVUTSRQ"), ["sequential"]);
    assert_eq!(default_codes("kjhgfdsa"), ["keyboard_run"]);
    // The unit "xyz" is itself a sequence.
    assert_eq!(default_codes("xyzxyzxyzxyz"), ["repeated", "sequential"]);
}

// A repetition is as strong as its unit: refused when the unit alone is below the minimum.
#[test]
fn repetition_of_a_unit_shorter_than_the_minimum() {
    let doubled = "xk9#mq2$xk9#mq2$"; // 16 characters, a random unit of 8
    assert_eq!(only_factor_codes(doubled), ["repeated"]);
    assert!(
        default_codes(doubled).is_empty(),
        "8 >= 8 with a second factor"
    );
    assert_eq!(default_codes("xk9#mq2xk9#mq2"), ["repeated"]); // unit of 7
    // A long unit repeated is as long as the unit.
    let phrase = "violet ink on a paper crane";
    assert!(only_factor_codes(&phrase.repeat(2)).is_empty());
}

// NIST: context-specific words (username, service name).
#[test]
fn context_words() {
    let ctx = Context::new()
        .with_username("Marguerite")
        .with_email("m.duras+news@example.org");
    let p = build(|b| b.service_word("Tessera").service_word("acme"));
    assert_eq!(codes(&p, "marguerite", &ctx), ["contains_username"]);
    assert_eq!(codes(&p, "I am MARGUERITE!", &ctx), ["contains_username"]);
    assert_eq!(codes(&p, "my duras novel", &ctx), ["contains_email"]);
    assert_eq!(
        codes(&p, "tessera rocks hard", &ctx),
        ["contains_service_word"]
    );
    assert_eq!(
        codes(&p, "ACME anvils fall", &ctx),
        ["contains_service_word"]
    );
    // "m" and "news" parts: "m" is under four characters and ignored; "news" counts.
    assert_eq!(codes(&p, "good news everyone", &ctx), ["contains_email"]);
    // Short usernames are ignored.
    let short = Context::new().with_username("bob");
    assert!(codes(&p, "bobsled champion", &short).is_empty());
    let off = build(|b| b.context_words(false).service_word("tessera"));
    assert!(codes(&off, "tessera rocks hard", &ctx).is_empty());
}

#[test]
fn every_violation_is_reported() {
    let p = build(|b| {
        b.min_length(12)
            .min_digits(1)
            .min_uppercase(1)
            .service_word("admin")
    });
    let ctx = Context::new().with_username("admin");
    assert_eq!(
        codes(&p, "admin", &ctx),
        [
            "too_short",
            "missing_digit",
            "missing_uppercase",
            "blocklisted",
            "contains_username",
            "contains_service_word"
        ]
    );
}

#[test]
fn password_only_preset_needs_fifteen() {
    let p = PasswordPolicy::password_only();
    assert_eq!(codes(&p, "fourteen chars", &Context::new()), ["too_short"]);
    assert!(codes(&p, "fifteen chars!!", &Context::new()).is_empty());
}

#[test]
fn extra_blocklist() {
    let mine: std::collections::BTreeSet<String> = ["winter in paris".to_owned()].into();
    let off = build(|b| b.blocklist(false));
    let r = off.validate_with(&Password::new("Winter in Paris"), &Context::new(), &mine);
    assert_eq!(r.map_err(|v| v.codes()), Err(vec!["blocklisted"]));
}

#[test]
fn change_checks_confirmation_and_history() {
    let hasher = Hasher::new(HashParams::insecure_for_tests(8, 1, 1));
    let p = build(|b| b.history(2));
    let old = Password::new("an old favourite phrase");
    let older = Password::new("an even older phrase");
    let oldest = Password::new("the oldest phrase of all");
    let mut history = PasswordHistory::new();
    for pw in [&oldest, &older, &old] {
        let h = hasher.hash(pw).unwrap_or_default();
        assert!(history.push(h, 3).is_ok());
    }
    let ctx = Context::new();
    let check = |new: &Password, confirm: &Password| {
        p.validate_change(new, confirm, &ctx, &history, &hasher)
            .map_err(|v| v.codes())
    };
    assert_eq!(check(&old, &old), Err(vec!["same_as_current"]));
    assert_eq!(check(&older, &older), Err(vec!["reused"]));
    // Only the last two count.
    assert_eq!(check(&oldest, &oldest), Ok(()));
    let fresh = Password::new("a brand new phrase");
    assert_eq!(
        check(&fresh, &Password::new("a brand new phrasE")),
        Err(vec!["confirmation_mismatch"])
    );
    assert_eq!(check(&fresh, &fresh), Ok(()));
    // The confirmation is compared after NFKC: composed and decomposed "é" match.
    assert_eq!(
        check(
            &Password::new("caf\u{e9} au lait"),
            &Password::new("cafe\u{301} au lait")
        ),
        Ok(())
    );
    // Everything at once.
    let short = Password::new("old");
    assert_eq!(
        check(&short, &fresh),
        Err(vec!["too_short", "confirmation_mismatch"])
    );
}

/// Past [`MAX_PASSWORD_BYTES`] (on either side) the confirmation is compared as typed, not
/// after NFKC (normalising unbounded input is the cost the bound avoids); up to the bound
/// inclusive it is compared after NFKC.
#[test]
fn confirmation_is_compared_raw_only_past_the_byte_bound() {
    let hasher = Hasher::new(HashParams::insecure_for_tests(8, 1, 1));
    let p = build(|b| b);
    let history = PasswordHistory::new();
    let ctx = Context::new();
    let mismatch = |new: &str, confirm: &str| {
        p.validate_change(
            &Password::new(new),
            &Password::new(confirm),
            &ctx,
            &history,
            &hasher,
        )
        .err()
        .is_some_and(|v| v.contains_code("confirmation_mismatch"))
    };
    let pad = |n: usize| "ab".repeat(n / 2) + &"a".repeat(n % 2);
    // Exactly at the bound (4,096 bytes, decomposed "é" = 3 bytes): NFKC applies.
    let composed = pad(MAX_PASSWORD_BYTES - 3) + "\u{e9}";
    let decomposed = pad(MAX_PASSWORD_BYTES - 3) + "e\u{301}";
    assert_eq!(decomposed.len(), MAX_PASSWORD_BYTES);
    assert!(!mismatch(&composed, &decomposed));
    assert!(!mismatch(&decomposed, &composed));
    // One byte more on either side: compared as typed, so the two forms differ.
    let composed = pad(MAX_PASSWORD_BYTES - 2) + "\u{e9}";
    let decomposed = pad(MAX_PASSWORD_BYTES - 2) + "e\u{301}";
    assert_eq!(composed.len(), MAX_PASSWORD_BYTES);
    assert_eq!(decomposed.len(), MAX_PASSWORD_BYTES + 1);
    assert!(mismatch(&composed, &decomposed));
    assert!(mismatch(&decomposed, &composed));
    // The same over-long text typed twice matches; a different one does not.
    let long = pad(MAX_PASSWORD_BYTES + 10);
    assert!(!mismatch(&long, &long.clone()));
    assert!(mismatch(&long, &pad(MAX_PASSWORD_BYTES + 11)));
}

proptest! {
    #[test]
    fn validation_never_panics(s in any::<String>(), user in any::<String>(), mail in any::<String>()) {
        let ctx = Context::new().with_username(user).with_email(mail);
        let r = PasswordPolicy::DEFAULT.validate(&Password::new(s.clone()), &ctx);
        if let Err(v) = r {
            prop_assert!(!v.is_empty());
            for violation in &v {
                prop_assert!(!violation.message().is_empty());
            }
        }
        let strict = build(|b| b.min_digits(1).min_special(1).pattern("^.{3,}$").service_word("tessera"));
        let _ = strict.validate(&Password::new(s), &ctx);
    }

    #[test]
    fn length_rule_matches_code_point_count(s in "\\PC{0,40}") {
        let n = normalized_len(&s);
        prop_assert_eq!(default_codes(&s).contains(&"too_short"), n < 8);
        prop_assert_eq!(only_factor_codes(&s).contains(&"too_short"), n < 15);
        let p = PasswordPolicy::DEFAULT;
        let pw = Password::new(s);
        prop_assert_eq!(p.meets_min_length(&pw, PasswordUse::WithSecondFactor), n >= 8);
        prop_assert_eq!(p.meets_min_length(&pw, PasswordUse::OnlyFactor), n >= 15);
    }
}

#[cfg(feature = "zxcvbn")]
#[test]
fn zxcvbn_minimum_score() {
    let p = build(|b| b.min_zxcvbn_score(3));
    // The blocklist sees "summer" under the decoration since issue 12 item 13.
    assert_eq!(
        codes(&p, "Summer2024!", &Context::new()),
        ["blocklisted", "too_weak"]
    );
    assert!(codes(&p, "correct horse battery staple", &Context::new()).is_empty());
    // Account details count as guessable input for zxcvbn too.
    let ctx = Context::new().with_username("wilhelmina");
    assert_eq!(
        codes(&p, "wilhelmina", &ctx),
        ["contains_username", "too_weak"]
    );
    let err = p
        .validate(&Password::new("Summer2024!"), &Context::new())
        .err();
    assert_eq!(
        err.and_then(|v| v.as_slice().last().map(Violation::params)),
        Some(vec![("min_score", 3)])
    );
    assert!(
        PasswordPolicy::builder()
            .min_zxcvbn_score(5)
            .build()
            .is_err()
    );
}

/// zxcvbn is not run past 256 code points (its cost grows with the length, and such a
/// password is long enough): a long one is never reported too weak, an empty one always is.
#[cfg(feature = "zxcvbn")]
#[test]
fn zxcvbn_skips_passwords_past_256_code_points() {
    let p = build(|b| b.min_zxcvbn_score(4).max_length(1024));
    let long: String = (0..60).map(|i| format!("w{i}x ")).collect();
    assert!(long.chars().count() > 256, "{}", long.len());
    assert!(codes(&p, &long, &Context::new()).is_empty());
    assert_eq!(codes(&p, "", &Context::new()), ["too_short", "too_weak"]);
    // 256 code points is still scored (one character repeated scores low); 257 is not.
    let weak = |n: usize| codes(&p, &"a".repeat(n), &Context::new()).contains(&"too_weak");
    assert!(weak(256));
    assert!(!weak(257));
    assert!(!weak(300));
    // A minimum score of 0 asks nothing, not even of an empty password.
    let zero = build(|b| b.min_zxcvbn_score(0));
    assert_eq!(codes(&zero, "", &Context::new()), ["too_short"]);
}

/// A password whose zxcvbn score equals the minimum passes; one point more is refused.
#[cfg(feature = "zxcvbn")]
#[test]
fn zxcvbn_minimum_is_inclusive() {
    let pw = "Summer2024!";
    let score = u8::from(zxcvbn::zxcvbn(pw, &[]).score());
    assert!(score < 4, "{score}");
    let too_weak = |min: u8| {
        codes(&build(|b| b.min_zxcvbn_score(min)), pw, &Context::new()).contains(&"too_weak")
    };
    assert!(!too_weak(score));
    assert!(too_weak(score + 1));
}

#[cfg(feature = "zxcvbn")]
proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn zxcvbn_rule_never_panics(s in "\\PC{0,80}", user in "\\PC{0,12}") {
        let p = build(|b| b.min_zxcvbn_score(2).service_word("tessera"));
        let _ = p.validate(&Password::new(s), &Context::new().with_username(user));
    }
}
