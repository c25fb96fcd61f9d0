//! Issue 12 item 23: an authenticator app that ignores `algorithm=SHA256` and computes
//! SHA-1 is refused at activation with a distinct error, and nothing is stored.

use crate::common::registry;
use tessera_otp::{Algorithm, Clock, ManualClock, Secret, TimeStep, Totp, TotpParams};
use tessera_registry::{
    ActivationPolicy, DeviceRegistry, DeviceStatus, DeviceStore, Error, HardwareToken,
    InMemoryDeviceStore, RegistryConfig, UserId,
};

fn params(algorithm: Algorithm, digits: u32, period: u64) -> TotpParams {
    TotpParams::builder()
        .algorithm(algorithm)
        .digits(digits)
        .period(period)
        .build()
        .unwrap()
}

fn config(policy: ActivationPolicy, issued: TotpParams) -> RegistryConfig {
    RegistryConfig::builder("Acme")
        .activation(policy)
        .totp_params(issued)
        .build()
        .unwrap()
}

/// The codes `policy` asks for, computed with `params` (what the app really uses).
fn codes(
    secret: &Secret,
    params: TotpParams,
    policy: ActivationPolicy,
    clock: &ManualClock,
) -> Vec<String> {
    let totp = Totp::new(secret, params);
    let step = totp.time_step(clock.now()).unwrap().get();
    let steps = match policy {
        ActivationPolicy::OneCode => vec![step],
        _ => vec![step - 1, step],
    };
    steps
        .into_iter()
        .map(|s| totp.generate_at_step(TimeStep::new(s)).expose().to_owned())
        .collect()
}

async fn finish_enrolment(
    registry: &DeviceRegistry<InMemoryDeviceStore, ManualClock>,
    user: &UserId,
    id: tessera_registry::DeviceId,
    codes: &[String],
) -> Result<tessera_registry::DeviceInfo, Error> {
    let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
    registry.finish_enrolment(user, id, &codes).await
}

#[tokio::test]
async fn sha1_codes_for_a_sha256_or_sha512_app_are_refused_distinctly_and_store_nothing() {
    for policy in [
        ActivationPolicy::OneCode,
        ActivationPolicy::TwoConsecutiveCodes,
    ] {
        for (issued, digits, period) in [(Algorithm::Sha256, 6, 30), (Algorithm::Sha512, 8, 60)] {
            let issued_params = params(issued, digits, period);
            let (registry, clock) =
                registry(InMemoryDeviceStore::new(), config(policy, issued_params));
            let ana = UserId::new("ana");
            let e = registry
                .start_enrolment(&ana, "Phone", "ana@example.com")
                .await
                .unwrap();
            let before = registry.store().load(&ana).await.unwrap();

            // The app computed SHA-1 with the same secret, digits and period.
            let sha1 = params(Algorithm::Sha1, digits, period);
            let wrong_hash = codes(e.secret(), sha1, policy, &clock);
            let err = finish_enrolment(&registry, &ana, e.device_id(), &wrong_hash)
                .await
                .unwrap_err();
            assert!(
                matches!(err, Error::AppIgnoresAlgorithm { issued: i } if i == issued),
                "{policy:?} {issued:?}: {err:?}"
            );
            let message = err.to_string();
            assert!(message.contains("enrol again with sha-1"), "{message}");
            assert!(message.contains(if issued == Algorithm::Sha256 {
                "sha-256"
            } else {
                "sha-512"
            }));
            assert!(!wrong_hash.iter().any(|c| message.contains(c.as_str())));

            // Nothing stored changed: same version, same devices, still pending.
            let after = registry.store().load(&ana).await.unwrap();
            assert_eq!(after.version, before.version);
            assert_eq!(after.value, before.value);
            let info = &registry.list(&ana).await.unwrap()[0];
            assert!(matches!(info.status, DeviceStatus::Pending { .. }));
            assert!(!registry.mfa_status(&ana).await.unwrap().is_enabled());

            // The same codes never verify later either, and real codes still activate.
            let real = codes(e.secret(), issued_params, policy, &clock);
            finish_enrolment(&registry, &ana, e.device_id(), &real)
                .await
                .unwrap();
            assert!(registry.mfa_status(&ana).await.unwrap().is_enabled());
        }
    }
}

#[tokio::test]
async fn wrong_codes_stay_the_plain_rejection() {
    for issued in [Algorithm::Sha1, Algorithm::Sha256] {
        let (registry, clock) = registry(
            InMemoryDeviceStore::new(),
            config(ActivationPolicy::OneCode, params(issued, 6, 30)),
        );
        let ana = UserId::new("ana");
        let e = registry
            .start_enrolment(&ana, "Phone", "ana@example.com")
            .await
            .unwrap();
        // A code of another secret matches under neither hash.
        let other = codes(
            &Secret::generate(),
            params(Algorithm::Sha1, 6, 30),
            ActivationPolicy::OneCode,
            &clock,
        );
        let err = finish_enrolment(&registry, &ana, e.device_id(), &other)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Rejected), "{issued:?}: {err:?}");
    }
}

#[tokio::test]
async fn a_sha256_hardware_token_that_computes_sha1_is_refused_and_not_added() {
    let policy = ActivationPolicy::TwoConsecutiveCodes;
    let (registry, clock) = registry(
        InMemoryDeviceStore::new(),
        RegistryConfig::builder("Acme")
            .activation(policy)
            .build()
            .unwrap(),
    );
    let ana = UserId::new("ana");
    let secret = Secret::generate_len(32).unwrap();
    let issued = params(Algorithm::Sha256, 8, 60);
    let token = HardwareToken::new("Token", "SN-1", secret.clone(), issued).unwrap();
    let sha1_codes = codes(&secret, params(Algorithm::Sha1, 8, 60), policy, &clock);
    let refs: Vec<&str> = sha1_codes.iter().map(String::as_str).collect();
    let err = registry
        .add_hardware_token(&ana, &token, &refs)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::AppIgnoresAlgorithm {
                issued: Algorithm::Sha256
            }
        ),
        "{err:?}"
    );
    let stored = registry.store().load(&ana).await.unwrap();
    assert_eq!(
        (stored.version, stored.value.len()),
        (tessera_registry::Version::NEW, 0)
    );

    let real = codes(&secret, issued, policy, &clock);
    let refs: Vec<&str> = real.iter().map(String::as_str).collect();
    registry
        .add_hardware_token(&ana, &token, &refs)
        .await
        .unwrap();
    assert!(registry.mfa_status(&ana).await.unwrap().is_enabled());
}
