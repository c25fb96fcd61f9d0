//! Issue 12 item 14: every configuration type deserialises through its validating
//! constructor, so a configuration file cannot carry a policy or costs below the bounds the
//! builders enforce.

use proptest::prelude::*;
use tessera_password::{HashParams, PasswordHistory, PasswordPolicy, PasswordUse};

#[test]
fn policy_out_of_bounds_is_refused() {
    for bad in [
        r#"{"min_length": 7}"#,
        r#"{"min_length": 0}"#,
        r#"{"min_length": 200}"#,
        r#"{"max_length": 63}"#,
        r#"{"max_length": 1025}"#,
        r#"{"min_length_only_factor": 7}"#,
        r#"{"min_length": 12, "min_length_only_factor": 10}"#,
        r#"{"min_length_only_factor": 129}"#,
        r#"{"history": 25}"#,
        r#"{"min_digits": 100, "min_special": 100}"#,
        r#"{"min_digits": 18446744073709551615, "min_special": 1}"#,
        r#"{"pattern": "("}"#,
        r#"{"password_use": "sometimes"}"#,
        r#"{"min_lenght": 15}"#,
        r#"{"min_length": -1}"#,
        r#"{"blocklist": "no"}"#,
    ] {
        assert!(
            serde_json::from_str::<PasswordPolicy>(bad).is_err(),
            "accepted {bad}"
        );
    }
    let long_pattern = format!(r#"{{"pattern": "{}"}}"#, "a".repeat(1025));
    assert!(serde_json::from_str::<PasswordPolicy>(&long_pattern).is_err());
    let words: Vec<String> = (0..65).map(|i| format!("w{i}")).collect();
    let many = serde_json::json!({ "service_words": words }).to_string();
    assert!(serde_json::from_str::<PasswordPolicy>(&many).is_err());
    #[cfg(feature = "zxcvbn")]
    assert!(serde_json::from_str::<PasswordPolicy>(r#"{"min_zxcvbn_score": 5}"#).is_err());
}

#[test]
fn policy_defaults_and_explicit_lengths_deserialise() {
    let empty: PasswordPolicy = serde_json::from_str("{}").unwrap();
    assert_eq!(empty.min_length_for(PasswordUse::OnlyFactor), 15);
    assert_eq!(empty.min_length_for(PasswordUse::WithSecondFactor), 8);
    // An old configuration's `min_length = 8` keeps password-only accounts at 15...
    let old: PasswordPolicy = serde_json::from_str(r#"{"min_length": 8}"#).unwrap();
    assert_eq!(old.min_length_for(PasswordUse::OnlyFactor), 15);
    // ...and 8 everywhere is an explicit choice.
    let amplify: PasswordPolicy =
        serde_json::from_str(r#"{"min_length": 8, "min_length_only_factor": 8}"#).unwrap();
    assert_eq!(amplify.min_length_for(PasswordUse::OnlyFactor), 8);
    let narrowed: PasswordPolicy =
        serde_json::from_str(r#"{"password_use": "with_second_factor"}"#).unwrap();
    assert_eq!(narrowed.min_length(), 8);
}

#[test]
fn hash_params_out_of_bounds_are_refused() {
    for bad in [
        r#"{"m_cost": 8, "t_cost": 1, "p_cost": 1}"#,
        r#"{"m_cost": 7167, "t_cost": 64, "p_cost": 1}"#,
        r#"{"m_cost": 19456, "t_cost": 0, "p_cost": 1}"#,
        r#"{"m_cost": 19456, "t_cost": 65, "p_cost": 1}"#,
        r#"{"m_cost": 19456, "t_cost": 2, "p_cost": 0}"#,
        r#"{"m_cost": 19456, "t_cost": 2, "p_cost": 17}"#,
        r#"{"m_cost": 19456, "t_cost": 1, "p_cost": 1}"#,
        r#"{"m_cost": 1048577, "t_cost": 2, "p_cost": 1}"#,
        r#"{"m_cost": 19456, "t_cost": 2}"#,
        r#"{"m_cost": 19456, "t_cost": 2, "p_cost": 1, "output_len": 4}"#,
        r#"{"m_cost": -1, "t_cost": 2, "p_cost": 1}"#,
    ] {
        assert!(
            serde_json::from_str::<HashParams>(bad).is_err(),
            "accepted {bad}"
        );
    }
}

#[test]
fn history_and_use_deserialise_checked() {
    assert!(serde_json::from_str::<PasswordHistory>(r#"{"hashes": ["not a hash"]}"#).is_err());
    assert!(serde_json::from_str::<PasswordHistory>(r#"{"hashes": [], "extra": 1}"#).is_err());
    let h = "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let many = serde_json::json!({ "hashes": vec![h; 30] }).to_string();
    let history: PasswordHistory = serde_json::from_str(&many).unwrap();
    assert_eq!(history.len(), tessera_password::MAX_HISTORY);
    assert_eq!(
        serde_json::to_string(&PasswordUse::WithSecondFactor).unwrap(),
        r#""with_second_factor""#
    );
    assert_eq!(
        serde_json::from_str::<PasswordUse>(r#""only_factor""#).unwrap(),
        PasswordUse::OnlyFactor
    );
}

fn policy_strategy() -> impl Strategy<Value = PasswordPolicy> {
    (
        8usize..=40,
        0usize..=30,
        64usize..=1024,
        (0usize..=3, 0usize..=3, 0usize..=3, 0usize..=3),
        0usize..=24,
        any::<(bool, bool)>(),
        proptest::collection::vec("[a-z]{3,10}", 0..4),
        proptest::option::of("\\^\\[a-z \\]\\{0,64\\}\\$"),
        any::<bool>(),
    )
        .prop_filter_map(
            "valid",
            |(min, extra, max, classes, history, (blocklist, context), words, pattern, mfa)| {
                let mut b = PasswordPolicy::builder();
                b.min_length(min)
                    .min_length_only_factor(min + extra)
                    .max_length(max)
                    .min_digits(classes.0)
                    .min_lowercase(classes.1)
                    .min_uppercase(classes.2)
                    .min_special(classes.3)
                    .history(history)
                    .blocklist(blocklist)
                    .context_words(context);
                for w in words {
                    b.service_word(w);
                }
                if let Some(p) = pattern {
                    b.pattern(p);
                }
                if mfa {
                    b.password_use(PasswordUse::WithSecondFactor);
                }
                b.build().ok()
            },
        )
}

proptest! {
    #[test]
    fn valid_policies_round_trip(policy in policy_strategy()) {
        let json = serde_json::to_string(&policy).unwrap();
        let back: PasswordPolicy = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(serde_json::to_string(&back).unwrap(), json);
        for use_ in [PasswordUse::OnlyFactor, PasswordUse::WithSecondFactor] {
            prop_assert_eq!(back.min_length_for(use_), policy.min_length_for(use_));
        }
        prop_assert_eq!(back.min_length(), policy.min_length());
        prop_assert_eq!(back.pattern(), policy.pattern());
        prop_assert_eq!(back.service_words(), policy.service_words());
        prop_assert_eq!(back.history(), policy.history());
    }

    #[test]
    fn valid_hash_params_round_trip(m in 7168u32..=1_048_576, t in 1u32..=64, p in 1u32..=16) {
        match HashParams::new(m, t, p) {
            Ok(params) => {
                let json = serde_json::to_string(&params).unwrap();
                prop_assert_eq!(serde_json::from_str::<HashParams>(&json).unwrap(), params);
            }
            Err(_) => {
                let json = format!(r#"{{"m_cost":{m},"t_cost":{t},"p_cost":{p}}}"#);
                prop_assert!(serde_json::from_str::<HashParams>(&json).is_err());
            }
        }
    }
}
