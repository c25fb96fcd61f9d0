//! The production defaults end to end: the policy a service gets out of the box and hashing
//! at OWASP's parameters.

use tessera_password::{
    Context, Error, HashParams, Hasher, Password, PasswordHistory, PasswordPolicy, Pepper,
};

#[test]
fn default_hash_is_argon2id_at_owasp_parameters() {
    let hasher = Hasher::default();
    assert_eq!(hasher.params(), HashParams::DEFAULT);
    let password = Password::new("correct horse battery staple");
    let stored = hasher.hash(&password).unwrap();
    assert!(
        stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{stored}"
    );
    assert_eq!(hasher.verify(&password, &stored), Ok(true));
    assert_eq!(
        hasher.verify(&Password::new("Correct horse battery staple"), &stored),
        Ok(false)
    );
    assert_eq!(hasher.needs_rehash(&stored), Ok(false));
    // A service that raises its memory cost rehashes on the next login.
    let stronger = Hasher::new(HashParams::new(47 * 1024, 2, 1).unwrap());
    assert_eq!(stronger.needs_rehash(&stored), Ok(true));
    assert_eq!(stronger.verify(&password, &stored), Ok(true));
}

#[test]
fn change_password_flow_with_pepper_and_history() {
    let pepper = Pepper::new(b"2026-01", &[0x5a; 32]).unwrap();
    let hasher = Hasher::builder().pepper(pepper).build().unwrap();
    let policy = PasswordPolicy::builder()
        .history(3)
        .service_word("tessera")
        .build()
        .unwrap();
    let context = Context::new()
        .with_username("grace")
        .with_email("grace.hopper@example.com");

    let first = Password::new("nanoseconds of wire");
    policy.validate(&first, &context).unwrap();
    let mut history = PasswordHistory::new();
    history
        .push(hasher.hash(&first).unwrap(), policy.history())
        .unwrap();

    let err = policy
        .validate_change(&first, &first, &context, &history, &hasher)
        .unwrap_err();
    assert_eq!(err.codes(), ["same_as_current"]);
    assert_eq!(
        err.to_string(),
        "Choose a password different from your current one."
    );

    let err = policy
        .validate_change(
            &Password::new("hopper"),
            &Password::new("hoppers"),
            &context,
            &history,
            &hasher,
        )
        .unwrap_err();
    assert_eq!(
        err.codes(),
        ["too_short", "contains_email", "confirmation_mismatch"]
    );

    let next = Password::new("a bug in the relay");
    policy
        .validate_change(&next, &next.clone(), &context, &history, &hasher)
        .unwrap();
}

/// Issue 12 item 19: with the default policy (history 0) "changing" to the current password
/// was accepted. The facade passes the current hash first; it is always checked.
#[test]
fn same_password_is_refused_by_default() {
    let hasher = Hasher::default();
    let policy = PasswordPolicy::default();
    assert_eq!(policy.history(), 0);
    let current = Password::new("nanoseconds of copper wire");
    let mut history = PasswordHistory::new();
    history.push(hasher.hash(&current).unwrap(), 1).unwrap();
    let err = policy
        .validate_change(&current, &current, &Context::new(), &history, &hasher)
        .unwrap_err();
    assert_eq!(err.codes(), ["same_as_current"]);
    // NFKC-equivalent forms are the same password.
    let decomposed = Password::new("caf\u{e9} au lait, nanoseconds");
    history
        .push(
            hasher
                .hash(&Password::new("cafe\u{301} au lait, nanoseconds"))
                .unwrap(),
            1,
        )
        .unwrap();
    assert!(
        policy
            .validate_change(&decomposed, &decomposed, &Context::new(), &history, &hasher)
            .is_err()
    );
    history.push(hasher.hash(&current).unwrap(), 1).unwrap();
    // Another password passes; an empty history has no current password to compare with.
    let next = Password::new("a moth in the relay bay");
    policy
        .validate_change(&next, &next, &Context::new(), &history, &hasher)
        .unwrap();
    policy
        .validate_change(
            &current,
            &current,
            &Context::new(),
            &PasswordHistory::new(),
            &hasher,
        )
        .unwrap();
}

#[test]
fn errors_never_echo_the_password() {
    let secret = "s3cr3t-".repeat(700);
    let err = Hasher::default()
        .hash(&Password::new(secret.clone()))
        .unwrap_err();
    assert_eq!(err, Error::PasswordTooLong { max_bytes: 4096 });
    assert!(!err.to_string().contains("s3cr3t"));
    let violations = PasswordPolicy::DEFAULT
        .validate(&Password::new(secret), &Context::new())
        .unwrap_err();
    assert!(!violations.to_string().contains("s3cr3t"));
    assert!(!format!("{violations:?}").contains("s3cr3t"));
}
