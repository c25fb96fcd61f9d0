//! Fixtures shared by the integration tests.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tessera_keyring::Keyring;

use tessera_otp::{Clock, ManualClock, Secret, TimeStep, Totp, TotpParams, UnixTime};
use tessera_registry::testing::{ChaosDeviceStore, Faults};
use tessera_registry::{
    ActivationPolicy, DeviceId, DeviceRegistry, DeviceStore, Error, InMemoryDeviceStore,
    RegistryConfig, UserId,
};

/// 10 s into a 30 s step.
pub(crate) const START: u64 = 1_700_000_010;

/// The in-memory store behind the `testing` feature's chaos wrapper: no latency and no
/// faults until a test sets them through [`ChaosDeviceStore::faults`]; it counts
/// loads, saves and conflicts.
pub(crate) type FaultyStore = ChaosDeviceStore<InMemoryDeviceStore>;

/// A store that fails, conflicts and waits only when told to.
pub(crate) fn faulty_store() -> FaultyStore {
    ChaosDeviceStore::new(InMemoryDeviceStore::new(), Faults::new())
}

/// A store whose every call waits up to 50 µs when `on`, widening race windows (the
/// race tests alternate it round by round).
pub(crate) fn racing_store(on: bool) -> FaultyStore {
    let store = faulty_store();
    if on {
        store
            .faults()
            .set_latency(Duration::ZERO, Duration::from_micros(50));
    }
    store
}

/// Twenty attempts: every conflict means another request saved, and at most eight
/// enrolments can, so with more attempts than that each enrolment ends in success or
/// a full user, never `Conflict`.
pub(crate) fn patient_config() -> RegistryConfig {
    RegistryConfig::builder("Acme")
        .max_attempts(20)
        .build()
        .unwrap()
}

pub(crate) fn one_code_config() -> RegistryConfig {
    RegistryConfig::builder("Acme")
        .activation(ActivationPolicy::OneCode)
        .build()
        .unwrap()
}

pub(crate) fn registry<S: DeviceStore>(
    store: S,
    config: RegistryConfig,
) -> (DeviceRegistry<S, ManualClock>, ManualClock) {
    let clock = ManualClock::new(UnixTime::from_secs(START));
    (
        DeviceRegistry::new(store, clock.clone(), config, keyring()),
        clock,
    )
}

/// A fresh keyring with one random key (`ephemeral`), active.
pub(crate) fn keyring() -> Arc<Keyring> {
    Arc::new(Keyring::ephemeral().unwrap())
}

pub(crate) fn code_at(secret: &Secret, at: UnixTime) -> String {
    Totp::new(secret, TotpParams::DEFAULT)
        .generate(at)
        .unwrap()
        .expose()
        .to_owned()
}

pub(crate) fn code_at_step(secret: &Secret, step: u64) -> String {
    Totp::new(secret, TotpParams::DEFAULT)
        .generate_at_step(TimeStep::new(step))
        .expose()
        .to_owned()
}

/// Enrols and activates (one-code policy) an authenticator app; returns id and secret.
pub(crate) async fn active_app<S: DeviceStore>(
    registry: &DeviceRegistry<S, ManualClock>,
    clock: &ManualClock,
    user: &UserId,
    name: &str,
) -> (DeviceId, Secret) {
    let e = registry
        .start_enrolment(user, name, "test@example.com")
        .await
        .unwrap();
    let code = code_at(e.secret(), clock.now());
    registry
        .finish_enrolment(user, e.device_id(), &[&code])
        .await
        .unwrap();
    (e.device_id(), e.secret().clone())
}

/// Runs `n` calls at once, each on its own task with its own handle on the registry
/// and its index, and returns their results in order.
pub(crate) async fn at_once<S, T, F>(
    registry: &Arc<DeviceRegistry<S, ManualClock>>,
    n: usize,
    call: impl Fn(Arc<DeviceRegistry<S, ManualClock>>, usize) -> F,
) -> Vec<T>
where
    S: DeviceStore + 'static,
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let tasks: Vec<_> = (0..n)
        .map(|i| tokio::spawn(call(Arc::clone(registry), i)))
        .collect();
    let mut results = Vec::with_capacity(n);
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results
}

/// How a batch of concurrent enrolments ended.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Enrolled {
    pub(crate) ok: usize,
    pub(crate) full: usize,
    pub(crate) conflict: usize,
    pub(crate) store: usize,
}

/// Sixteen enrolments of `user` at once ("Phone 0" to "Phone 15"); any error but a
/// full user, a conflict or a store failure fails the test.
pub(crate) async fn enrol_16_at_once<S: DeviceStore + 'static>(
    registry: &Arc<DeviceRegistry<S, ManualClock>>,
    user: &UserId,
) -> Enrolled {
    let results = at_once(registry, 16, |registry, i| {
        let user = user.clone();
        async move {
            registry
                .start_enrolment(&user, &format!("Phone {i}"), "ana@example.com")
                .await
        }
    })
    .await;
    let mut tally = Enrolled::default();
    for result in results {
        match result {
            Ok(_) => tally.ok += 1,
            Err(Error::TooManyDevices { max: 8 }) => tally.full += 1,
            Err(Error::Conflict) => tally.conflict += 1,
            Err(Error::Store(_)) => tally.store += 1,
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    tally
}

/// Four conformance suites sharing `store` at once, on their own tasks.
pub(crate) async fn conform_concurrently<S: DeviceStore + 'static>(store: Arc<S>) {
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { tessera_registry::testing::run_conformance(&store).await })
        })
        .collect();
    for run in runs {
        run.await.unwrap();
    }
}
