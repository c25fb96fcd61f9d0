//! The pure changes, tested without a store, a runtime or a clock.

use super::*;

const T0: u64 = 1_700_000_010; // 10 s into a 30 s step
const ACCOUNT_STEP: u64 = T0 / 30;

static KEYRING: std::sync::LazyLock<tessera_keyring::Keyring> =
    std::sync::LazyLock::new(|| tessera_keyring::Keyring::ephemeral().unwrap());
static USER: std::sync::LazyLock<crate::UserId> =
    std::sync::LazyLock::new(|| crate::UserId::new("ana"));

/// The seeds of the one user these tests change.
fn seeds() -> Seeds<'static> {
    Seeds::new(&KEYRING, &USER)
}

fn at(secs: u64) -> UnixTime {
    UnixTime::from_secs(secs)
}

fn config(policy: ActivationPolicy) -> RegistryConfig {
    RegistryConfig::builder("Acme")
        .activation(policy)
        .build()
        .unwrap()
}

/// A test's starting point: the configuration under `policy`, the instant T0 and no
/// devices.
fn setup(policy: ActivationPolicy) -> (RegistryConfig, UnixTime, Vec<Device>) {
    (config(policy), at(T0), Vec::new())
}

fn code(secret: &Secret, params: TotpParams, step: u64) -> String {
    Totp::new(secret, params)
        .generate_at_step(TimeStep::new(step))
        .expose()
        .to_owned()
}

fn secret_of(devices: &[Device], id: DeviceId) -> Secret {
    devices
        .iter()
        .find(|d| d.id == id)
        .and_then(Device::totp)
        .map(|t| seeds().open(id, &t.sealed).unwrap())
        .unwrap()
}

/// An enrolment of `name` with `secret`, sealed with the test user's seeds.
fn app<'a>(
    name: &'a DeviceName,
    secret: &'a Secret,
    now: UnixTime,
    config: &'a RegistryConfig,
) -> NewApp<'a> {
    NewApp {
        name,
        secret,
        now,
        config,
        seeds: seeds(),
    }
}

/// Enrols an app with a fresh secret: a pending device named `name`.
fn pending_app(
    devices: &mut Vec<Device>,
    name: &str,
    now: UnixTime,
    config: &RegistryConfig,
) -> Result<DeviceId, Error> {
    let name = DeviceName::new(name)?;
    enrol_app(devices, app(&name, &Secret::generate(), now, config))
}

/// Enrols and activates an app with one code at T0's step; returns id and secret.
fn active_app(devices: &mut Vec<Device>, name: &str, now: UnixTime) -> (DeviceId, Secret) {
    let c = config(ActivationPolicy::OneCode);
    let id = pending_app(devices, name, now, &c).unwrap();
    let secret = secret_of(devices, id);
    let step = now.as_secs() / 30;
    finish_app(
        devices,
        id,
        &[&code(&secret, TotpParams::DEFAULT, step)],
        now,
        &c,
        &seeds(),
    )
    .unwrap();
    (id, secret)
}

/// The plain verification, as `DeviceRegistry::verify_unthrottled` runs it.
fn verify_code(
    devices: &mut [Device],
    input: &str,
    now: UnixTime,
    config: &RegistryConfig,
) -> Result<Verified, Error> {
    super::verify_code(devices, input, now, config, ReuseCheck::Skip, &seeds())
        .map_err(Rejection::into_error)
}

fn key(id: u8) -> SecurityKey {
    SecurityKey::new(&[id; 16], &[1; 65], 0, [id; 16]).unwrap()
}

/// Starts enrolling an app named "Phone" with a fresh secret.
fn start_phone(
    devices: &mut Vec<Device>,
    now: UnixTime,
    config: &RegistryConfig,
) -> Result<Started, Error> {
    let name = DeviceName::new("Phone")?;
    start_app(devices, app(&name, &Secret::generate(), now, config))
}

/// Registers the security key `key(id)` as `name`.
fn add_key(
    devices: &mut Vec<Device>,
    name: &str,
    id: u8,
    now: UnixTime,
    config: &RegistryConfig,
) -> Result<DeviceId, Error> {
    register_security_key(devices, DeviceName::new(name)?, &key(id), now, config)
}

#[test]
fn eight_mixed_devices_then_the_ninth_is_refused_and_nothing_changes() {
    let (c, now, mut devices) = setup(ActivationPolicy::TwoConsecutiveCodes);
    for i in 0..3 {
        pending_app(&mut devices, &format!("App {i}"), now, &c).unwrap();
    }
    for i in 0..3u8 {
        let secret = Secret::generate();
        let params = TotpParams::builder().digits(8).period(60).build().unwrap();
        let step = T0 / 60;
        let token = HardwareToken::new(
            &format!("Token {i}"),
            &format!("SN-{i}"),
            secret.clone(),
            params,
        )
        .unwrap();
        let codes = [code(&secret, params, step - 1), code(&secret, params, step)];
        add_hardware_token(
            &mut devices,
            &token,
            &[&codes[0], &codes[1]],
            now,
            &c,
            &seeds(),
        )
        .unwrap();
    }
    for i in 0..2u8 {
        add_key(&mut devices, &format!("Key {i}"), i, now, &c).unwrap();
    }
    assert_eq!(devices.len(), 8);
    let before = devices.clone();

    let ninth = pending_app(&mut devices, "Ninth", now, &c);
    assert!(
        matches!(ninth, Err(Error::TooManyDevices { max: 8 })),
        "{ninth:?}"
    );
    let tenth = add_key(&mut devices, "Ninth", 9, now, &c);
    assert!(matches!(tenth, Err(Error::TooManyDevices { max: 8 })));
    assert_eq!(devices, before, "a refused enrolment changes nothing");

    let kinds = mfa_status(&devices);
    assert_eq!(
        kinds.active_kinds(),
        [DeviceKind::HardwareToken, DeviceKind::SecurityKey],
        "pending apps do not count as MFA"
    );
    assert_eq!(kinds.active_devices(), 5);
}

#[test]
fn a_lower_configured_cap_is_enforced() {
    let c = RegistryConfig::builder("Acme")
        .max_devices(2)
        .build()
        .unwrap();
    let mut devices = Vec::new();
    for name in ["a", "b"] {
        pending_app(&mut devices, name, at(T0), &c).unwrap();
    }
    let third = pending_app(&mut devices, "c", at(T0), &c);
    assert!(matches!(third, Err(Error::TooManyDevices { max: 2 })));
}

#[test]
fn pending_devices_expire_at_the_exact_instant_and_never_verify() {
    let (c, start, mut devices) = setup(ActivationPolicy::OneCode);
    let id = pending_app(&mut devices, "Phone", start, &c).unwrap();
    let secret = secret_of(&devices, id);
    let expires = at(T0 + 600);
    assert_eq!(
        devices[0].status(at(T0 + 599)),
        DeviceStatus::Pending {
            expires_at: expires
        }
    );
    assert_eq!(devices[0].status(expires), DeviceStatus::Expired);

    // A pending device's correct code does not sign in.
    let now_code = code(&secret, TotpParams::DEFAULT, ACCOUNT_STEP);
    assert!(matches!(
        verify_code(&mut devices, &now_code, start, &c),
        Err(Error::Rejected)
    ));

    // At the instant of expiry, activation is refused, with the right code.
    let late = code(&secret, TotpParams::DEFAULT, (T0 + 600) / 30);
    let mut expired = devices.clone();
    assert!(matches!(
        finish_app(&mut expired, id, &[&late], expires, &c, &seeds()),
        Err(Error::EnrolmentExpired)
    ));
    // One second earlier it succeeds.
    let just_in_time = code(&secret, TotpParams::DEFAULT, (T0 + 599) / 30);
    finish_app(
        &mut devices,
        id,
        &[&just_in_time],
        at(T0 + 599),
        &c,
        &seeds(),
    )
    .unwrap();
    assert!(devices[0].is_active());
    assert_eq!(devices[0].activated_at(), Some(at(T0 + 599)));
}

#[test]
fn expired_enrolments_free_their_slot_when_a_device_is_added() {
    let c = RegistryConfig::builder("Acme")
        .max_devices(1)
        .build()
        .unwrap();
    let mut devices = Vec::new();
    pending_app(&mut devices, "Old", at(T0), &c).unwrap();
    let full = pending_app(&mut devices, "New", at(T0 + 599), &c);
    assert!(matches!(full, Err(Error::TooManyDevices { .. })));
    pending_app(&mut devices, "New", at(T0 + 600), &c).unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].name().as_str(), "New");
}

#[test]
fn two_consecutive_codes_activate_and_record_drift_and_the_step() {
    let (c, now, mut devices) = setup(ActivationPolicy::TwoConsecutiveCodes);
    let id = pending_app(&mut devices, "Phone", now, &c).unwrap();
    let secret = secret_of(&devices, id);
    let p = TotpParams::DEFAULT;

    // One code is not enough under this policy.
    let one = code(&secret, p, ACCOUNT_STEP);
    assert!(matches!(
        finish_app(&mut devices, id, &[&one], now, &c, &seeds()),
        Err(Error::ActivationCodes {
            expected: 2,
            found: 1
        })
    ));
    // Not consecutive: refused opaquely.
    let (a, b) = (
        code(&secret, p, ACCOUNT_STEP - 2),
        code(&secret, p, ACCOUNT_STEP),
    );
    assert!(matches!(
        finish_app(&mut devices, id, &[&a, &b], now, &c, &seeds()),
        Err(Error::Rejected)
    ));
    // Malformed: a clear error.
    assert!(matches!(
        finish_app(&mut devices, id, &["12ab56", &b], now, &c, &seeds()),
        Err(Error::Otp(_))
    ));
    assert!(!devices[0].is_active());

    // The phone runs two steps ahead: consecutive codes there activate and set the drift.
    let (a, b) = (
        code(&secret, p, ACCOUNT_STEP + 1),
        code(&secret, p, ACCOUNT_STEP + 2),
    );
    finish_app(&mut devices, id, &[&a, &b], now, &c, &seeds()).unwrap();
    let t = devices[0].totp().unwrap();
    assert_eq!(t.drift(), Drift::from_steps(2));
    assert_eq!(t.last_used_step(), Some(TimeStep::new(ACCOUNT_STEP + 2)));
    assert!(matches!(
        finish_app(&mut devices, id, &[&a, &b], now, &c, &seeds()),
        Err(Error::AlreadyActive)
    ));

    // The activation step counts as used: its code does not sign in.
    assert!(matches!(
        verify_code(&mut devices, &b, now, &c),
        Err(Error::Rejected)
    ));
    // The phone's next code does, thanks to the stored drift.
    let next = code(&secret, p, ACCOUNT_STEP + 3);
    let v = verify_code(&mut devices, &next, at(T0 + 30), &c).unwrap();
    assert_eq!((v.device_id, v.step), (id, TimeStep::new(ACCOUNT_STEP + 3)));
}

#[test]
fn one_code_activation_uses_the_window_and_marks_the_step_used() {
    let (c, now, mut devices) = setup(ActivationPolicy::OneCode);
    let id = pending_app(&mut devices, "Phone", now, &c).unwrap();
    let secret = secret_of(&devices, id);
    let p = TotpParams::DEFAULT;
    let far = code(&secret, p, ACCOUNT_STEP + 2);
    assert!(matches!(
        finish_app(&mut devices, id, &[&far], now, &c, &seeds()),
        Err(Error::Rejected)
    ));
    assert!(matches!(
        finish_app(&mut devices, id, &["123456", "123456"], now, &c, &seeds()),
        Err(Error::ActivationCodes {
            expected: 1,
            found: 2
        })
    ));
    let current = code(&secret, p, ACCOUNT_STEP);
    finish_app(&mut devices, id, &[&current], now, &c, &seeds()).unwrap();
    assert_eq!(
        devices[0].totp().unwrap().last_used_step(),
        Some(TimeStep::new(ACCOUNT_STEP))
    );
    assert!(matches!(
        verify_code(&mut devices, &current, now, &c),
        Err(Error::Rejected)
    ));
}

#[test]
fn verify_finds_the_matching_device_among_many_and_refuses_reuse() {
    let (c, now, mut devices) = setup(ActivationPolicy::OneCode);
    let apps: Vec<_> = (0..4)
        .map(|i| active_app(&mut devices, &format!("App {i}"), now))
        .collect();
    add_key(&mut devices, "Key", 1, now, &c).unwrap();
    let later = at(T0 + 30);
    let (last_id, last_secret) = &apps[3];
    let typed = code(last_secret, TotpParams::DEFAULT, ACCOUNT_STEP + 1);
    let spaced = format!("{} {}", &typed[..3], &typed[3..]);
    let v = verify_code(&mut devices, &spaced, later, &c).unwrap();
    assert_eq!(
        (v.device_id, v.kind),
        (*last_id, DeviceKind::AuthenticatorApp)
    );
    assert_eq!(devices[3].last_used_at(), Some(later));
    assert_eq!(devices[0].last_used_at(), None);
    assert!(matches!(
        verify_code(&mut devices, &typed, later, &c),
        Err(Error::Rejected)
    ));
    // Garbage is the same opaque failure.
    for junk in ["", "abc", "1234567890123", "12345"] {
        assert!(matches!(
            verify_code(&mut devices, junk, later, &c),
            Err(Error::Rejected)
        ));
    }
    // Another device's code for the same step still works: steps are per device.
    let other = code(&apps[0].1, TotpParams::DEFAULT, ACCOUNT_STEP + 1);
    assert_eq!(
        verify_code(&mut devices, &other, later, &c)
            .unwrap()
            .device_id,
        apps[0].0
    );
}

fn reuse_of(devices: &mut [Device], input: &str, now: UnixTime) -> Option<CodeReuse> {
    let c = config(ActivationPolicy::OneCode);
    let refused =
        super::verify_code(devices, input, now, &c, ReuseCheck::Report, &seeds()).unwrap_err();
    assert!(matches!(refused.error(), Error::Rejected), "{refused:?}");
    assert_eq!(refused.to_string(), Error::Rejected.to_string());
    refused.reuse()
}

#[test]
fn a_replayed_code_is_reported_as_reuse_and_a_wrong_one_is_not() {
    let (c, now, mut devices) = setup(ActivationPolicy::OneCode);
    let apps: Vec<_> = (0..3)
        .map(|i| active_app(&mut devices, &format!("App {i}"), now))
        .collect();
    // A hardware token (8 digits, 60 s) activated with two codes.
    let token_secret = Secret::generate();
    let token_params = TotpParams::builder().digits(8).period(60).build().unwrap();
    let token = HardwareToken::new("Token", "SN-1", token_secret.clone(), token_params).unwrap();
    let token_codes = [
        code(&token_secret, token_params, T0 / 60 - 1),
        code(&token_secret, token_params, T0 / 60),
    ];
    let two = config(ActivationPolicy::TwoConsecutiveCodes);
    let token_id = add_hardware_token(
        &mut devices,
        &token,
        &[&token_codes[0], &token_codes[1]],
        now,
        &two,
        &seeds(),
    )
    .unwrap();
    // A pending app: its codes are neither accepted nor a replay.
    let pending = pending_app(&mut devices, "Pending", now, &c).unwrap();
    let pending_code = code(
        &secret_of(&devices, pending),
        TotpParams::DEFAULT,
        ACCOUNT_STEP,
    );

    // The third app signs in 30 s later; the same code again is a replay of that app.
    let later = at(T0 + 30);
    let (third_id, third_secret) = &apps[2];
    let typed = code(third_secret, TotpParams::DEFAULT, ACCOUNT_STEP + 1);
    let v = super::verify_code(
        &mut devices,
        &typed,
        later,
        &c,
        ReuseCheck::Report,
        &seeds(),
    )
    .unwrap();
    assert_eq!(v.device_id, *third_id);
    let before = devices.clone();
    let reuse = reuse_of(&mut devices, &typed, later).unwrap();
    assert_eq!(
        (reuse.device_id, reuse.kind),
        (*third_id, DeviceKind::AuthenticatorApp)
    );
    // The activation codes of the first app and of the token, still in the window.
    assert_eq!(
        reuse_of(
            &mut devices,
            &code(&apps[0].1, TotpParams::DEFAULT, ACCOUNT_STEP),
            later
        )
        .map(|r| r.device_id),
        Some(apps[0].0)
    );
    let reuse = reuse_of(&mut devices, &token_codes[1], later).unwrap();
    assert_eq!(
        (reuse.device_id, reuse.kind),
        (token_id, DeviceKind::HardwareToken)
    );
    // Wrong, malformed, pending-device and out-of-window codes are not replays.
    // A six-digit code no app produces anywhere near now (chosen, not left to chance).
    let near: Vec<String> = apps
        .iter()
        .chain([&(pending, secret_of(&devices, pending))])
        .flat_map(|(_, s)| {
            (ACCOUNT_STEP - 3..=ACCOUNT_STEP + 4).map(|step| code(s, TotpParams::DEFAULT, step))
        })
        .collect();
    let wrong = (0..1_000_000u32)
        .map(|n| format!("{n:06}"))
        .find(|c| !near.contains(c))
        .unwrap();
    for input in ["", "abc", "12345", wrong.as_str(), pending_code.as_str()] {
        assert_eq!(reuse_of(&mut devices, input, later), None, "{input:?}");
    }
    let long_ago = code(third_secret, TotpParams::DEFAULT, ACCOUNT_STEP - 5);
    assert_eq!(reuse_of(&mut devices, &long_ago, later), None);
    assert_eq!(devices, before, "a refusal changes nothing");

    // Without the check, a replay is refused with nothing more said.
    let refused = super::verify_code(&mut devices, &typed, later, &c, ReuseCheck::Skip, &seeds())
        .unwrap_err();
    assert_eq!(refused.reuse(), None);
    assert!(refused.is_rejected());

    // The first app's next code still verifies: reuse is per device and per step.
    let next = code(&apps[0].1, TotpParams::DEFAULT, ACCOUNT_STEP + 1);
    let v =
        super::verify_code(&mut devices, &next, later, &c, ReuseCheck::Report, &seeds()).unwrap();
    assert_eq!(v.device_id, apps[0].0);
}

#[test]
fn removed_devices_never_verify_and_free_their_slot() {
    let (c, now, mut devices) = setup(ActivationPolicy::OneCode);
    let (id, secret) = active_app(&mut devices, "Phone", now);
    let info = remove(&mut devices, id, now).unwrap();
    assert_eq!((info.id, info.kind), (id, DeviceKind::AuthenticatorApp));
    let next = code(&secret, TotpParams::DEFAULT, ACCOUNT_STEP + 1);
    assert!(matches!(
        verify_code(&mut devices, &next, at(T0 + 30), &c),
        Err(Error::Rejected)
    ));
    assert!(matches!(
        remove(&mut devices, id, now),
        Err(Error::DeviceNotFound)
    ));
    assert!(!mfa_status(&devices).is_enabled());
}

#[test]
fn resync_stores_drift_from_two_consecutive_codes() {
    let (c, now, mut devices) = setup(ActivationPolicy::OneCode);
    let (id, secret) = active_app(&mut devices, "Phone", now);
    let p = TotpParams::DEFAULT;
    // An hour later the phone's clock is five steps behind: its codes are refused.
    let later = at(T0 + 3600);
    let step = (T0 + 3600) / 30;
    let behind = code(&secret, p, step - 5);
    assert!(matches!(
        verify_code(&mut devices, &behind, later, &c),
        Err(Error::Rejected)
    ));
    let (a, b) = (code(&secret, p, step - 6), code(&secret, p, step - 5));
    assert_eq!(
        resync(&mut devices, id, &a, &b, later, &c, &seeds()).unwrap(),
        Drift::from_steps(-5)
    );
    let t = devices[0].totp().unwrap();
    assert_eq!(
        (t.drift(), t.last_used_step()),
        (Drift::from_steps(-5), Some(TimeStep::new(step - 5)))
    );
    // The resync codes are used; the phone's next code verifies.
    assert!(matches!(
        verify_code(&mut devices, &b, later, &c),
        Err(Error::Rejected)
    ));
    let next = code(&secret, p, step - 4);
    assert_eq!(
        verify_code(&mut devices, &next, at(T0 + 3630), &c)
            .unwrap()
            .device_id,
        id
    );
    // Out of range (more than 10 steps): refused; nothing stored.
    let before = devices.clone();
    let (a, b) = (code(&secret, p, step + 40), code(&secret, p, step + 41));
    assert!(matches!(
        resync(&mut devices, id, &a, &b, later, &c, &seeds()),
        Err(Error::ResyncFailed)
    ));
    assert_eq!(devices, before);
    // Not for security keys or pending devices.
    let k = add_key(&mut devices, "Key", 1, now, &c).unwrap();
    assert!(matches!(
        resync(&mut devices, k, &a, &b, later, &c, &seeds()),
        Err(Error::WrongKind { .. })
    ));
    let pending = pending_app(&mut devices, "New", later, &c).unwrap();
    assert!(matches!(
        resync(&mut devices, pending, &a, &b, later, &c, &seeds()),
        Err(Error::NotActive)
    ));
}

#[test]
fn names_are_unique_per_user_ignoring_case() {
    let (c, now, mut devices) = setup(ActivationPolicy::OneCode);
    let a = pending_app(&mut devices, "Phone", now, &c).unwrap();
    let b = pending_app(&mut devices, "Tablet", now, &c).unwrap();
    let dup = pending_app(&mut devices, " phone ", now, &c);
    assert!(matches!(dup, Err(Error::DuplicateName)));
    assert!(matches!(
        rename(&mut devices, b, DeviceName::new("PHONE").unwrap()),
        Err(Error::DuplicateName)
    ));
    rename(&mut devices, a, DeviceName::new("phone").unwrap()).unwrap(); // its own name, recased
    rename(&mut devices, b, DeviceName::new("Work tablet").unwrap()).unwrap();
    assert_eq!(devices[1].name().as_str(), "Work tablet");
    assert!(matches!(
        rename(
            &mut devices,
            DeviceId::random(),
            DeviceName::new("x").unwrap()
        ),
        Err(Error::DeviceNotFound)
    ));
}

#[test]
fn every_app_gets_its_own_secret_and_id() {
    let c = config(ActivationPolicy::OneCode);
    let mut devices = Vec::new();
    for i in 0..8 {
        pending_app(&mut devices, &i.to_string(), at(T0), &c).unwrap();
    }
    for (i, a) in devices.iter().enumerate() {
        for b in &devices[i + 1..] {
            assert_ne!(a.id(), b.id());
            assert_ne!(secret_of(&devices, a.id()), secret_of(&devices, b.id()));
        }
    }
}

#[test]
fn hardware_tokens_are_unique_by_serial_and_secret() {
    let c = config(ActivationPolicy::OneCode);
    let now = at(T0);
    let p = TotpParams::builder()
        .algorithm(tessera_otp::Algorithm::Sha256)
        .digits(8)
        .build()
        .unwrap();
    let secret = Secret::generate();
    let mut devices = Vec::new();
    let token = HardwareToken::new("Token", " GALT1 ", secret.clone(), p).unwrap();
    let good = code(&secret, p, ACCOUNT_STEP);
    assert!(matches!(
        add_hardware_token(&mut devices, &token, &["00000000"], now, &c, &seeds()),
        Err(Error::Rejected)
    ));
    assert!(devices.is_empty(), "a token whose code fails is not added");
    let id = add_hardware_token(&mut devices, &token, &[&good], now, &c, &seeds()).unwrap();
    assert_eq!(devices[0].info(now).serial.as_deref(), Some("GALT1"));
    assert_eq!(
        devices[0].totp().map(TotpCredential::serial),
        Some(Some("GALT1"))
    );
    assert_eq!(devices[0].kind(), DeviceKind::HardwareToken);
    let same_serial = HardwareToken::new("Other", "GALT1", Secret::generate(), p).unwrap();
    assert!(matches!(
        add_hardware_token(&mut devices, &same_serial, &[&good], now, &c, &seeds()),
        Err(Error::DuplicateDevice)
    ));
    let same_secret = HardwareToken::new("Other", "GALT2", secret.clone(), p).unwrap();
    assert!(matches!(
        add_hardware_token(&mut devices, &same_secret, &[&good], now, &c, &seeds()),
        Err(Error::DuplicateDevice)
    ));
    let next = code(&secret, p, ACCOUNT_STEP + 1);
    let v = verify_code(&mut devices, &next, at(T0 + 30), &c).unwrap();
    assert_eq!((v.device_id, v.kind), (id, DeviceKind::HardwareToken));
    assert!(HardwareToken::new("T", "", Secret::generate(), p).is_err());
    assert!(HardwareToken::new("T", &"x".repeat(65), Secret::generate(), p).is_err());
    assert!(HardwareToken::new("T", "sn\u{7}", Secret::generate(), p).is_err());
}

/// Issue 12 item 14: a hardware token's period is bounded as apps' are (15..=120 s).
#[test]
fn a_hardware_token_period_is_bounded() {
    let token = |period| {
        let p = TotpParams::builder().period(period).build().unwrap();
        HardwareToken::new("T", "SN", Secret::generate(), p)
    };
    assert!(matches!(token(14), Err(Error::InvalidDevice(_))));
    assert!(token(15).is_ok());
    assert!(token(120).is_ok());
    assert!(matches!(token(121), Err(Error::InvalidDevice(_))));
}

#[test]
fn security_key_counters_must_grow() {
    let (c, now, mut devices) = setup(ActivationPolicy::OneCode);
    let mut k = key(7);
    k.sign_count = 10;
    let id =
        register_security_key(&mut devices, DeviceName::new("Key").unwrap(), &k, now, &c).unwrap();
    assert!(matches!(
        register_security_key(&mut devices, DeviceName::new("Again").unwrap(), &k, now, &c),
        Err(Error::DuplicateDevice)
    ));
    let cred = [7u8; 16];
    let ok = verify_assertion(&mut devices, &cred, |_| Ok((11, None)), now).unwrap();
    assert_eq!((ok.device_id, ok.sign_count), (id, 11));
    assert_eq!(devices[0].last_used_at(), Some(now));
    for replayed in [11, 3, 0] {
        assert!(matches!(
            verify_assertion(&mut devices, &cred, |_| Ok((replayed, None)), now),
            Err(Error::Rejected)
        ));
    }
    assert!(matches!(
        verify_assertion(&mut devices, &cred, |_| Err(Rejected), now),
        Err(Error::Rejected)
    ));
    assert!(matches!(
        verify_assertion(&mut devices, &[8; 16], |_| Ok((99, None)), now),
        Err(Error::Rejected)
    ));
    assert_eq!(devices[0].security_key().unwrap().sign_count(), 11);
    assert_eq!(
        devices[0].security_key().unwrap().flags(),
        KeyFlags::default()
    );
    assert!(SecurityKey::new(&[], &[1], 0, [0; 16]).is_err());
    assert!(SecurityKey::new(&[1; 1024], &[1], 0, [0; 16]).is_err());
    assert!(SecurityKey::new(&[1], &[], 0, [0; 16]).is_err());
}

#[test]
fn debug_never_shows_secrets() {
    let c = config(ActivationPolicy::OneCode);
    let mut devices = Vec::new();
    let secret = Secret::from_base32("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").unwrap();
    let name = DeviceName::new("Phone").unwrap();
    enrol_app(&mut devices, app(&name, &secret, at(T0), &c)).unwrap();
    let shown = format!("{devices:?}");
    assert!(!shown.contains("JBSW"), "{shown}");
    assert!(!shown.contains("72, 101"), "{shown}"); // the bytes "He…" in decimal
    // The seed is sealed: Debug names the key and the length, not even the ciphertext.
    assert!(
        shown.contains("Sealed { key_id: KeyId(\"ephemeral\")"),
        "{shown}"
    );
    let sealed = devices[0].totp().unwrap().sealed_secret().to_string();
    let ciphertext = sealed.rsplit('.').next().unwrap();
    assert!(!shown.contains(ciphertext), "{shown}");
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any input is the one opaque failure or a match; it never panics, and a
        /// failure changes nothing.
        #[test]
        fn verify_never_panics_and_fails_without_change(input in "\\PC{0,80}") {
            let c = config(ActivationPolicy::OneCode);
            let mut devices = Vec::new();
            active_app(&mut devices, "Phone", at(T0));
            let before = devices.clone();
            match verify_code(&mut devices, &input, at(T0 + 30), &c) {
                Ok(v) => prop_assert_eq!(v.kind, DeviceKind::AuthenticatorApp),
                Err(e) => {
                    prop_assert!(matches!(e, Error::Rejected));
                    prop_assert_eq!(devices, before);
                }
            }
        }

        /// Whatever codes are offered, activation either succeeds or leaves the
        /// device pending, and never panics.
        #[test]
        fn activation_never_panics(a in "[0-9 -]{0,12}", b in "\\PC{0,12}", two in any::<bool>()) {
            let policy = if two { ActivationPolicy::TwoConsecutiveCodes } else { ActivationPolicy::OneCode };
            let c = config(policy);
            let mut devices = Vec::new();
            let id = pending_app(&mut devices, "P", at(T0), &c).unwrap();
            let codes: Vec<&str> = if two { vec![&a, &b] } else { vec![&a] };
            if finish_app(&mut devices, id, &codes, at(T0), &c, &seeds()).is_err() {
                prop_assert!(!devices[0].is_active());
            }
        }
    }
}

#[test]
fn starting_again_with_a_pending_name_resumes_it_with_the_same_secret() {
    let c = config(ActivationPolicy::OneCode);
    let mut devices = Vec::new();
    let first = start_phone(&mut devices, at(T0), &c).unwrap();
    let Started::New(id) = first else {
        panic!("the first start adds a device: {first:?}")
    };
    let secret = secret_of(&devices, id);
    // The page reloads five minutes later, the name typed in another case.
    let other = Secret::generate();
    let name = DeviceName::new("PHONE").unwrap();
    let again = start_app(&mut devices, app(&name, &other, at(T0 + 300), &c)).unwrap();
    assert_eq!(again, Started::Resumed(id));
    assert_eq!(devices.len(), 1, "no second slot taken");
    let (shown, params, expires) =
        resume_app(&mut devices, id, at(T0 + 300), &c, &seeds()).unwrap();
    assert_eq!(shown.expose_bytes(), secret.expose_bytes());
    assert_ne!(shown.expose_bytes(), other.expose_bytes());
    assert_eq!(params, c.totp_params());
    // Renewed: a full ten minutes from the resume.
    assert_eq!(expires, at(T0 + 900));
    assert_eq!(
        devices[0].status(at(T0 + 899)),
        DeviceStatus::Pending {
            expires_at: expires
        }
    );
    // The code of the app that scanned the first page activates it.
    let now_code = code(&secret, TotpParams::DEFAULT, (T0 + 300) / 30);
    finish_app(&mut devices, id, &[&now_code], at(T0 + 300), &c, &seeds()).unwrap();
    // Once active, the name is taken again, and the device is not resumable.
    assert!(matches!(
        start_phone(&mut devices, at(T0 + 301), &c),
        Err(Error::DuplicateName)
    ));
    assert!(matches!(
        resume_app(&mut devices, id, at(T0 + 301), &c, &seeds()),
        Err(Error::AlreadyActive)
    ));
}

#[test]
fn an_expired_enrolment_is_not_resumed_and_its_name_gets_a_fresh_secret() {
    let c = config(ActivationPolicy::OneCode);
    let mut devices = Vec::new();
    let Started::New(old) = start_phone(&mut devices, at(T0), &c).unwrap() else {
        panic!("a new device")
    };
    assert!(matches!(
        resume_app(&mut devices, old, at(T0 + 600), &c, &seeds()),
        Err(Error::EnrolmentExpired)
    ));
    let fresh = start_phone(&mut devices, at(T0 + 600), &c).unwrap();
    assert!(matches!(fresh, Started::New(id) if id != old));
    assert_eq!(devices.len(), 1);
}

#[test]
fn a_cancelled_enrolment_frees_slot_and_name_and_its_codes_never_activate() {
    let c = RegistryConfig::builder("Acme")
        .activation(ActivationPolicy::OneCode)
        .max_devices(1)
        .build()
        .unwrap();
    let mut devices = Vec::new();
    let Started::New(id) = start_phone(&mut devices, at(T0), &c).unwrap() else {
        panic!("a new device")
    };
    let secret = secret_of(&devices, id);
    let info = cancel_enrolment(&mut devices, id, at(T0 + 1)).unwrap();
    assert_eq!(info.id, id);
    assert!(devices.is_empty());
    let now_code = code(&secret, TotpParams::DEFAULT, ACCOUNT_STEP);
    assert!(matches!(
        finish_app(&mut devices, id, &[&now_code], at(T0 + 1), &c, &seeds()),
        Err(Error::DeviceNotFound)
    ));
    assert!(matches!(
        verify_code(&mut devices, &now_code, at(T0 + 1), &c),
        Err(Error::Rejected)
    ));
    // The one slot and the name are free at once, long before the ten minutes.
    let again = start_phone(&mut devices, at(T0 + 2), &c).unwrap();
    assert!(matches!(again, Started::New(new) if new != id));
    assert!(matches!(
        cancel_enrolment(&mut devices, id, at(T0 + 2)),
        Err(Error::DeviceNotFound)
    ));
}

#[test]
fn an_active_device_cannot_be_cancelled() {
    let mut devices = Vec::new();
    let (id, _) = active_app(&mut devices, "Phone", at(T0));
    assert!(matches!(
        cancel_enrolment(&mut devices, id, at(T0 + 1)),
        Err(Error::AlreadyActive)
    ));
    assert_eq!(devices.len(), 1);
}

#[test]
fn assertion_flags_are_stored_with_the_counter_and_a_refusal_keeps_them() {
    let c = config(ActivationPolicy::OneCode);
    let now = at(T0);
    let mut devices = Vec::new();
    let k = key(7).with_flags(KeyFlags::new(true, false, true));
    register_security_key(&mut devices, DeviceName::new("Key").unwrap(), &k, now, &c).unwrap();
    let cred = [7u8; 16];
    let synced = KeyFlags::new(true, true, false);
    verify_assertion(&mut devices, &cred, |_| Ok((1, Some(synced))), now).unwrap();
    assert_eq!(devices[0].security_key().unwrap().flags(), synced);
    // A counter that did not grow stores nothing, flags included.
    let other = KeyFlags::new(true, false, false);
    assert!(verify_assertion(&mut devices, &cred, |_| Ok((1, Some(other))), now).is_err());
    assert_eq!(devices[0].security_key().unwrap().flags(), synced);
    // A verifier that reports no flags keeps the stored ones.
    verify_assertion(&mut devices, &cred, |_| Ok((2, None)), now).unwrap();
    assert_eq!(devices[0].security_key().unwrap().flags(), synced);
    let record = key(7).with_relying_party_record(String::new());
    assert!(matches!(record, Err(Error::InvalidDevice(_))));
    let long = "x".repeat(SecurityKey::MAX_RELYING_PARTY_RECORD_LEN + 1);
    assert!(key(7).with_relying_party_record(long).is_err());
    let kept = key(7).with_relying_party_record("{}".into()).unwrap();
    assert_eq!(kept.relying_party_record(), Some("{}"));
}
