//! What the fuzz target `webauthn_inputs` runs (not public API).

use std::sync::{Arc, OnceLock};

use tessera_keyring::Keyring;
use tessera_otp::{ManualClock, UnixTime};
use tessera_registry::{DeviceRegistry, InMemoryDeviceStore, RegistryConfig, UserId};

use crate::{
    InMemoryCeremonyLedger, InMemoryCredentialIndex, RelyingParty, parse_authentication_response,
    parse_registration_response,
};

type Rp = RelyingParty<ManualClock, InMemoryCeremonyLedger, InMemoryCredentialIndex>;

struct World {
    clock: ManualClock,
    rp: Rp,
    registry: DeviceRegistry<InMemoryDeviceStore, ManualClock>,
}

fn world() -> Option<&'static World> {
    static WORLD: OnceLock<Option<World>> = OnceLock::new();
    WORLD
        .get_or_init(|| {
            let clock = ManualClock::new(UnixTime::from_secs(1_700_000_000));
            let keyring = Arc::new(Keyring::ephemeral().ok()?);
            let rp = RelyingParty::builder("example.com", "https://login.example.com")
                .build(
                    keyring.clone(),
                    clock.clone(),
                    InMemoryCeremonyLedger::new(),
                    InMemoryCredentialIndex::new(),
                )
                .ok()?;
            let registry = DeviceRegistry::new(
                InMemoryDeviceStore::new(),
                clock.clone(),
                RegistryConfig::new("Fuzz").ok()?,
                keyring,
            );
            Some(World {
                clock,
                rp,
                registry,
            })
        })
        .as_ref()
}

/// Polls a future that never waits (in-memory stores) to completion.
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut f = std::pin::pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            return v;
        }
    }
}

/// Both parsers on arbitrary bytes; for what parses, print → parse → print is stable,
/// and a registration's finish refuses it (it cannot answer a fresh challenge) with a
/// refusal, never a panic or a server-side error.
///
/// # Panics
/// On a finding.
#[allow(clippy::expect_used)] // The fuzz target's assertions: a failure is the finding.
pub fn fuzz_responses(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(r) = parse_registration_response(text) {
        let printed = serde_json::to_string(&r).expect("a parsed registration prints");
        let again = parse_registration_response(&printed).expect("a printed registration parses");
        assert_eq!(
            printed,
            serde_json::to_string(&again).expect("prints again")
        );
        if let Some(w) = world() {
            // Past every earlier ceremony's end, so the ledger drops them and stays small.
            w.clock.advance(std::time::Duration::from_secs(601));
            let user = UserId::new("fuzz");
            let (_, state) =
                w.rp.start_registration(&user, "fuzz", "Fuzz", &[])
                    .expect("a registration starts");
            let refused = block_on(w.rp.finish_registration(&w.registry, &user, state, &r, "Key"));
            assert!(
                matches!(&refused, Err(e) if e.is_refusal()),
                "unexpected outcome {refused:?}"
            );
        }
    }
    if let Ok(a) = parse_authentication_response(text) {
        let printed = serde_json::to_string(&a).expect("a parsed assertion prints");
        let again = parse_authentication_response(&printed).expect("a printed assertion parses");
        assert_eq!(
            printed,
            serde_json::to_string(&again).expect("prints again")
        );
    }
}
