//! Verification rules: window, replay, adjacent-step collisions, drift, resync, bounds.

use proptest::prelude::*;
use tessera_otp::{
    Algorithm, Code, Drift, Error, Hotp, HotpParams, Rejected, Secret, TimeStep, Totp, TotpParams,
    UnixTime, VerifyOptions, Window,
};

use crate::common::{RFC_SEED, rfc_totp};

fn at_step(step: u64) -> UnixTime {
    UnixTime::from_secs(step * 30 + 7)
}

#[test]
fn window_accepts_neighbours_only() {
    let totp = rfc_totp();
    let now: u64 = 1_000_000;
    for offset in [-1i64, 0, 1] {
        let step = now.checked_add_signed(offset).unwrap();
        let code = totp.generate_at_step(TimeStep::new(step));
        assert_eq!(
            totp.verify(&code, at_step(now), None, VerifyOptions::new()),
            Ok(TimeStep::new(step))
        );
    }
    for step in [now - 2, now + 2] {
        let code = totp.generate_at_step(TimeStep::new(step));
        assert_eq!(
            totp.verify(&code, at_step(now), None, VerifyOptions::new()),
            Err(Rejected)
        );
    }
    let wide = VerifyOptions::new().window(Window::new(2, 0).unwrap());
    let two_back = totp.generate_at_step(TimeStep::new(now - 2));
    assert!(totp.verify(&two_back, at_step(now), None, wide).is_ok());
    let one_ahead = totp.generate_at_step(TimeStep::new(now + 1));
    assert!(totp.verify(&one_ahead, at_step(now), None, wide).is_err());
}

#[test]
fn replay_of_a_used_step_is_refused_and_the_next_step_accepted() {
    let totp = rfc_totp();
    let now = at_step(2_000_000);
    let code = totp.generate(now).unwrap();
    let used = totp.verify(&code, now, None, VerifyOptions::new()).unwrap();
    let after = VerifyOptions::new();
    // Same code, same instant and 20 s later (still in the window): refused.
    assert_eq!(totp.verify(&code, now, Some(used), after), Err(Rejected));
    let later = UnixTime::from_secs(now.as_secs() + 20);
    assert_eq!(totp.verify(&code, later, Some(used), after), Err(Rejected));
    // Earlier steps are refused too, even inside the window.
    let previous = totp.generate_at_step(TimeStep::new(used.get() - 1));
    assert_eq!(
        totp.verify(&previous, now, Some(used), after),
        Err(Rejected)
    );
    // The next step's code is accepted.
    let next_time = UnixTime::from_secs(now.as_secs() + 30);
    let next = totp.generate(next_time).unwrap();
    assert_eq!(
        totp.verify(&next, next_time, Some(used), after),
        Ok(TimeStep::new(used.get() + 1))
    );
}

/// Issue 12 item 20: the default verification cannot forget the last used step. Fed
/// the step it returned, it refuses the same code; accepting a code twice takes the
/// explicitly named `verify_allowing_replay`.
#[test]
fn default_verify_fed_its_own_step_refuses_the_same_code() {
    let totp = rfc_totp();
    let now = at_step(2_500_000);
    let code = totp.generate(now).unwrap();
    let mut last_used = None; // a device never used
    let step = totp
        .verify(&code, now, last_used, VerifyOptions::new())
        .unwrap();
    last_used = Some(step);
    assert_eq!(
        totp.verify(&code, now, last_used, VerifyOptions::new()),
        Err(Rejected)
    );
    // Through the whole window the code stays refused: 30 s on it is the previous step.
    let later = UnixTime::from_secs(now.as_secs() + 30);
    assert_eq!(
        totp.verify(&code, later, last_used, VerifyOptions::new()),
        Err(Rejected)
    );
    // The replayable form is named as such and accepts the same code again.
    assert_eq!(
        totp.verify_allowing_replay(&code, now, VerifyOptions::new()),
        Ok(step)
    );
    assert_eq!(
        totp.verify_allowing_replay(&code, later, VerifyOptions::new()),
        Ok(step)
    );
}

/// Issue 12 item 20, HOTP: `verify` returns the counter to store, past the code just
/// used, so feeding it back refuses that code. It returned the matched counter before,
/// and a caller that stored it accepted the same code again.
#[test]
fn hotp_verify_fed_its_own_counter_refuses_the_same_code() {
    let hotp = Hotp::new(&Secret::from_bytes(RFC_SEED).unwrap(), HotpParams::DEFAULT);
    let code = hotp.generate(12);
    let next = hotp.verify(&code, 10, 5).unwrap();
    assert_eq!(next, 13);
    assert_eq!(hotp.verify(&code, next, 5), Err(Rejected));
    // The token's next code moves on from there.
    assert_eq!(hotp.verify(&hotp.generate(13), next, 5), Ok(14));
}

#[test]
fn adjacent_steps_sharing_a_code_prefer_the_unused_one() {
    // Found by search: with the RFC 4226 secret, steps 57766335 and 57766336 both give
    // 251166 (6 digits), as one in a million adjacent pairs does.
    let totp = rfc_totp();
    let (s, t) = (57_766_335, 57_766_336);
    let code = Code::parse("251166", 6).unwrap();
    assert!(totp.generate_at_step(TimeStep::new(s)) == code);
    assert!(totp.generate_at_step(TimeStep::new(t)) == code);
    // Step s is used and current: the same digits still verify, as step t.
    let options = VerifyOptions::new();
    assert_eq!(
        totp.verify(&code, at_step(s), Some(TimeStep::new(s)), options),
        Ok(TimeStep::new(t))
    );
    // Both used: refused.
    let used = Some(TimeStep::new(t));
    assert_eq!(totp.verify(&code, at_step(s), used, options), Err(Rejected));
    // Nothing used: the current step wins.
    assert_eq!(
        totp.verify(&code, at_step(t), None, VerifyOptions::new()),
        Ok(TimeStep::new(t))
    );
}

#[test]
fn wrong_length_and_before_t0_are_rejected_not_panics() {
    let totp = rfc_totp();
    let eight = Code::parse("12345678", 8).unwrap();
    assert_eq!(
        totp.verify(&eight, at_step(5), None, VerifyOptions::new()),
        Err(Rejected)
    );
    let late_start = Totp::new(
        &Secret::generate(),
        TotpParams::builder().t0(1_000).build().unwrap(),
    );
    assert_eq!(
        late_start.time_step(UnixTime::from_secs(999)),
        Err(Error::BeforeT0)
    );
    assert!(late_start.generate(UnixTime::from_secs(999)).is_err());
    let code = Code::parse("123456", 6).unwrap();
    assert_eq!(
        late_start.verify(&code, UnixTime::from_secs(0), None, VerifyOptions::new()),
        Err(Rejected)
    );
}

#[test]
fn same_value_with_another_digit_count_is_rejected() {
    // The comparison covers the length as well as the value: "0" + a 6-digit code is
    // the same number, typed as 7 digits.
    let totp = rfc_totp();
    let now = at_step(1_234_567);
    let code = totp.generate(now).unwrap();
    let longer = Code::parse(&format!("0{}", code.expose()), 7).unwrap();
    assert_eq!(
        totp.verify(&longer, now, None, VerifyOptions::new()),
        Err(Rejected)
    );
    assert!(totp.verify(&code, now, None, VerifyOptions::new()).is_ok());
}

#[test]
fn steps_near_u64_max_do_not_wrap() {
    let p = TotpParams::builder().period(1).build().unwrap();
    let totp = Totp::new(&Secret::generate(), p);
    let end = UnixTime::from_secs(u64::MAX);
    let code = totp.generate(end).unwrap();
    // The future neighbour would be u64::MAX + 1: skipped, not wrapped to 0.
    assert_eq!(
        totp.verify(&code, end, None, VerifyOptions::new()),
        Ok(TimeStep::new(u64::MAX))
    );
    let zero = totp.generate_at_step(TimeStep::new(0));
    assert_eq!(
        totp.verify(&zero, end, None, VerifyOptions::new()),
        Err(Rejected)
    );
    let huge_drift = VerifyOptions::new().drift(Drift::from_steps(i64::MAX));
    assert_eq!(totp.verify(&code, end, None, huge_drift), Err(Rejected));
    let hotp = Hotp::new(&Secret::generate(), HotpParams::DEFAULT);
    // No counter can be stored after u64::MAX, so its code is refused; the one before
    // it is accepted and leaves u64::MAX as the next counter.
    let last = hotp.generate(u64::MAX);
    assert_eq!(hotp.verify(&last, u64::MAX, 10), Err(Rejected));
    let before_last = hotp.generate(u64::MAX - 1);
    assert_eq!(hotp.verify(&before_last, u64::MAX - 1, 10), Ok(u64::MAX));
    assert_eq!(
        hotp.resync(&last, &last, u64::MAX - 1, 5),
        Err(Error::ResyncFailed)
    );
}

#[test]
fn totp_resync_finds_drift_at_plus_and_minus_five_steps() {
    let totp = rfc_totp();
    let now = 3_000_000u64;
    for drift in [-5i64, 5, -1, 0, 10, -10] {
        let device_step = now.checked_add_signed(drift).unwrap();
        let first = totp.generate_at_step(TimeStep::new(device_step - 1));
        let second = totp.generate_at_step(TimeStep::new(device_step));
        let found = totp
            .resync(&first, &second, at_step(now), 10, None)
            .unwrap();
        assert_eq!(found.drift, Drift::from_steps(drift), "drift {drift}");
        assert_eq!(found.last_used, TimeStep::new(device_step));
        // Later codes from the drifted device verify with the stored drift, not without.
        let later = totp.generate_at_step(TimeStep::new(device_step + 4));
        let with_drift = VerifyOptions::new().drift(found.drift);
        assert_eq!(
            totp.verify(&later, at_step(now + 4), Some(found.last_used), with_drift),
            Ok(TimeStep::new(device_step + 4))
        );
        if drift.abs() > 1 {
            assert!(
                totp.verify(&later, at_step(now + 4), None, VerifyOptions::new())
                    .is_err()
            );
        }
    }
}

#[test]
fn totp_resync_refuses_non_consecutive_out_of_range_and_used_codes() {
    let totp = rfc_totp();
    let now = 3_000_000u64;
    let code = |s: u64| totp.generate_at_step(TimeStep::new(s));
    assert_eq!(
        totp.resync(&code(now + 1), &code(now + 3), at_step(now), 10, None),
        Err(Error::ResyncFailed)
    );
    assert_eq!(
        totp.resync(&code(now + 1), &code(now), at_step(now), 10, None),
        Err(Error::ResyncFailed)
    );
    assert_eq!(
        totp.resync(&code(now + 11), &code(now + 12), at_step(now), 10, None),
        Err(Error::ResyncFailed)
    );
    assert_eq!(
        totp.resync(
            &code(now - 3),
            &code(now - 2),
            at_step(now),
            10,
            Some(TimeStep::new(now - 2))
        ),
        Err(Error::ResyncFailed)
    );
}

#[test]
fn hotp_look_ahead_and_resync_per_rfc4226_section_7() {
    let secret = Secret::from_bytes(RFC_SEED).unwrap();
    let hotp = Hotp::new(&secret, HotpParams::DEFAULT);
    // §7.2: the server accepts a code within the look-ahead window; the counter to
    // store is the one after it.
    assert_eq!(hotp.verify(&hotp.generate(7), 5, 3), Ok(8));
    assert_eq!(hotp.verify(&hotp.generate(9), 5, 3), Err(Rejected));
    assert_eq!(hotp.verify(&hotp.generate(4), 5, 3), Err(Rejected));
    // §7.4: two consecutive codes far ahead resynchronise the counter.
    let next = hotp
        .resync(&hotp.generate(40), &hotp.generate(41), 5, 100)
        .unwrap();
    assert_eq!(next, 42);
    assert_eq!(
        hotp.resync(&hotp.generate(40), &hotp.generate(42), 5, 100),
        Err(Error::ResyncFailed)
    );
}

fn algorithms() -> impl Strategy<Value = Algorithm> {
    prop_oneof![
        Just(Algorithm::Sha1),
        Just(Algorithm::Sha256),
        Just(Algorithm::Sha512)
    ]
}

proptest! {
    /// RFC 6238 §4.2: T = floor((now - T0) / X), for the default period and any other.
    #[test]
    fn time_step_is_the_rfc_division(
        period in prop_oneof![Just(30u64), 1u64..=600],
        t0 in 0u64..=1_000_000,
        since in 0u64..=u64::MAX / 2,
    ) {
        let params = TotpParams::builder().period(period).t0(t0).build().unwrap();
        let totp = Totp::new(&Secret::generate(), params);
        let at = UnixTime::from_secs(t0 + since);
        prop_assert_eq!(totp.time_step(at), Ok(TimeStep::new(since / period)));
    }

    /// Without a used step, `verify` and `verify_allowing_replay` agree on every code,
    /// instant, window and drift; with one, `verify` accepts only later steps.
    #[test]
    fn allowing_replay_is_verify_of_an_unused_key(
        step in 100u64..1_000_000,
        offset in -4i64..=4,
        past in 0u32..=3,
        future in 0u32..=3,
        drift in -2i64..=2,
        used_back in 0u64..=3,
    ) {
        let totp = rfc_totp();
        let code = totp.generate_at_step(TimeStep::new(step.checked_add_signed(offset).unwrap()));
        let options = VerifyOptions::new()
            .window(Window::new(past, future).unwrap())
            .drift(Drift::from_steps(drift));
        let open = totp.verify_allowing_replay(&code, at_step(step), options);
        prop_assert_eq!(totp.verify(&code, at_step(step), None, options), open);
        let used = TimeStep::new(step - used_back);
        if let Ok(found) = totp.verify(&code, at_step(step), Some(used), options) {
            prop_assert!(found > used);
        }
    }

    #[test]
    fn generate_then_verify_round_trips(
        alg in algorithms(),
        digits in 6u32..=10,
        period in 1u64..=300,
        t0 in 0u64..=1_000_000,
        since in 0u64..=10_000_000_000,
        key in proptest::collection::vec(any::<u8>(), 16..=64),
    ) {
        let params = TotpParams::new(alg, digits, period, t0).unwrap();
        let totp = Totp::new(&Secret::from_bytes(&key).unwrap(), params);
        let at = UnixTime::from_secs(t0 + since);
        let code = totp.generate(at).unwrap();
        prop_assert_eq!(usize::from(code.len()), usize::try_from(digits).unwrap());
        let typed = Code::parse(code.expose(), params.digits()).unwrap();
        let step = totp.verify(&typed, at, None, VerifyOptions::new()).unwrap();
        prop_assert_eq!(step, totp.time_step(at).unwrap());
        prop_assert_eq!(
            totp.verify(&typed, at, Some(step), VerifyOptions::new()),
            Err(Rejected)
        );
    }
}
