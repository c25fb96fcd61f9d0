//! Shared fixtures: the flows on in-memory parts, a manual clock, readable outboxes.
#![allow(dead_code, unreachable_pub)] // each test binary uses a different subset

use std::sync::Arc;
use std::time::Duration;

use tessera::mfa::ThrottleConfig;
use tessera::otp::SoftAuthenticator;
use tessera::{
    Accounts, Assurance, DeviceId, DeviceRegistry, InMemoryAccountStore, InMemoryDelivery,
    InMemoryDeviceStore, InMemorySessionRevoker, InMemoryStore, ManualClock, Mfa, OrgPolicy,
    Password, RecordingNotifier, RegistryConfig, SecondFactorChallenge, ServerKey, SignIn,
    UnixTime,
};

pub const T0: u64 = 1_767_225_600;
pub const PASSWORD: &str = "correct horse battery staple";
pub const EMAIL: &str = "ana.lima@example.com";

pub type Flows = Accounts<
    InMemoryAccountStore,
    InMemoryDeviceStore,
    InMemoryStore,
    Arc<RecordingNotifier>,
    Arc<InMemoryDelivery>,
    InMemorySessionRevoker,
    ManualClock,
>;

pub struct World {
    pub flows: Flows,
    pub clock: ManualClock,
    pub events: Arc<RecordingNotifier>,
    pub outbox: Arc<InMemoryDelivery>,
}

impl World {
    pub fn new() -> Self {
        Self::with(OrgPolicy::default(), ThrottleConfig::DEFAULT)
    }

    pub fn with(policy: OrgPolicy, throttle: ThrottleConfig) -> Self {
        let clock = ManualClock::new(UnixTime::from_secs(T0));
        let events = Arc::new(RecordingNotifier::new());
        let outbox = Arc::new(InMemoryDelivery::new());
        let config = RegistryConfig::builder("Tessera").build().unwrap();
        let registry = DeviceRegistry::new(
            InMemoryDeviceStore::new(),
            clock.clone(),
            config,
            Arc::new(tessera_registry::Keyring::ephemeral().unwrap()),
        );
        let mfa = Mfa::new(
            InMemoryStore::new(),
            events.clone(),
            clock.clone(),
            policy,
            ServerKey::generate().unwrap(),
        )
        .with_throttle(throttle);
        let flows = Accounts::new(
            InMemoryAccountStore::new(),
            registry,
            mfa,
            outbox.clone(),
            InMemorySessionRevoker::new(),
        );
        Self {
            flows,
            clock,
            events,
            outbox,
        }
    }

    pub fn now(&self) -> UnixTime {
        tessera::Clock::now(&self.clock)
    }

    pub fn advance(&self, secs: u64) {
        self.clock.advance(Duration::from_secs(secs));
    }

    /// Creates "ana" and signs her in (no MFA yet).
    pub async fn ana(&self) -> Assurance {
        self.flows
            .create_account("ana", EMAIL, &Password::new(PASSWORD))
            .await
            .unwrap();
        match self.sign_in("ana", PASSWORD).await.unwrap() {
            SignIn::Complete(a) => a,
            other => panic!("expected a complete sign-in, got {other:?}"),
        }
    }

    pub async fn sign_in(&self, user: &str, password: &str) -> tessera::Result<SignIn> {
        self.flows
            .sign_in(user, &Password::new(password), None)
            .await
    }

    /// Signs in where a second factor is expected.
    pub async fn challenge(&self, user: &str) -> SecondFactorChallenge {
        match self.sign_in(user, PASSWORD).await.unwrap() {
            SignIn::SecondFactor(c) => c,
            other => panic!("expected a second factor, got {other:?}"),
        }
    }

    /// Adds an authenticator app (two-code activation) and returns it.
    pub async fn add_app<'s>(
        &self,
        who: impl Into<tessera::SetupSession<'s>>,
        name: &str,
        enable: bool,
    ) -> App {
        let who = who.into();
        let enrolment = self
            .flows
            .start_authenticator_setup(who, name)
            .await
            .unwrap();
        let app = App::scan(enrolment.uri(), enrolment.device_id());
        let [a, b] = app.two_codes(self.now());
        let _ = self
            .flows
            .finish_authenticator_setup(who, app.id, &[&a, &b], enable)
            .await
            .unwrap();
        app
    }

    /// A step-up with `app`, 30 seconds on (so its code is a fresh step).
    pub async fn step_up(&self, who: &Assurance, app: &App) -> Assurance {
        self.advance(30);
        let c = self.flows.start_step_up(who).await.unwrap();
        let c = self
            .flows
            .start_second_factor(c, Some(tessera::MfaMethod::AuthenticatorApp))
            .await
            .unwrap();
        self.flows
            .finish_second_factor(&c, &app.code(self.now()))
            .await
            .unwrap()
    }

    /// The code of the last message delivered.
    pub fn last_code(&self) -> String {
        self.outbox.last_code().unwrap().expose().to_owned()
    }
}

/// A simulated authenticator app with the device id it was enrolled as.
pub struct App {
    pub id: DeviceId,
    pub soft: SoftAuthenticator,
}

impl App {
    pub fn scan(uri: &str, id: DeviceId) -> Self {
        Self {
            id,
            soft: SoftAuthenticator::scan(uri).unwrap(),
        }
    }

    pub fn code(&self, at: UnixTime) -> String {
        self.soft.code(at).unwrap().expose().to_owned()
    }

    pub fn two_codes(&self, at: UnixTime) -> [String; 2] {
        self.soft
            .two_codes(at)
            .unwrap()
            .map(|c| c.expose().to_owned())
    }
}
