//! Shared fixtures: the flows on in-memory parts, a manual clock, readable outboxes.
#![allow(dead_code, unreachable_pub)] // not every module uses every fixture

use std::sync::Arc;
use std::time::Duration;

use tessera::mfa::ThrottleConfig;
use tessera::otp::SoftAuthenticator;
use tessera::{
    AccountStore, Accounts, Assurance, Clock, DeviceId, DeviceStore, InMemoryAccounts,
    InMemoryDelivery, InMemorySessionRevoker, ManualClock, MfaStore, OrgPolicy, Password,
    RecordingNotifier, SecondFactorChallenge, SignIn, UnixTime,
};

pub const T0: u64 = 1_767_225_600;
pub const PASSWORD: &str = "correct horse battery staple";
pub const EMAIL: &str = "ana.lima@example.com";

pub type Flows = InMemoryAccounts<ManualClock>;

pub struct World {
    pub flows: Flows,
    pub clock: ManualClock,
    pub events: Arc<RecordingNotifier>,
    pub outbox: Arc<InMemoryDelivery>,
    pub sessions: Arc<InMemorySessionRevoker>,
}

impl World {
    pub fn new() -> Self {
        Self::with(OrgPolicy::default(), ThrottleConfig::DEFAULT)
    }

    pub fn with(policy: OrgPolicy, throttle: ThrottleConfig) -> Self {
        let clock = ManualClock::new(UnixTime::from_secs(T0));
        let events = Arc::new(RecordingNotifier::new());
        let outbox = Arc::new(InMemoryDelivery::new());
        let sessions = Arc::new(InMemorySessionRevoker::new());
        let flows = Accounts::in_memory_builder("Tessera")
            .unwrap()
            .notifier(events.clone())
            .delivery(outbox.clone())
            .sessions(sessions.clone())
            .org_policy(policy)
            .throttle(throttle)
            .build_in_memory(clock.clone())
            .unwrap();
        Self {
            flows,
            clock,
            events,
            outbox,
            sessions,
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
        signed_up(&self.flows, "ana", EMAIL).await
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
        setup_app(&self.flows, who, name, enable).await.0
    }

    /// A step-up with `app`, 30 seconds on (so its code is a fresh step).
    pub async fn step_up(&self, who: &Assurance, app: &App) -> Assurance {
        self.advance(30);
        step_up_with_app(&self.flows, who, app).await
    }

    /// 30 seconds on (a fresh step), signs `user` in with the password and `app`'s code.
    pub async fn sign_in_with_app(&self, user: &str, app: &App) -> Assurance {
        self.advance(30);
        let c = self.challenge(user).await;
        let c = self.start(c, None).await;
        self.flows
            .finish_second_factor(&c, &app.code(self.now()))
            .await
            .unwrap()
    }

    /// Starts `method` on `challenge` (`None`: its primary method).
    pub async fn start(
        &self,
        challenge: SecondFactorChallenge,
        method: Option<tessera::MfaMethod>,
    ) -> SecondFactorChallenge {
        self.flows
            .start_second_factor(challenge, method)
            .await
            .unwrap()
    }

    /// Ana with an authenticator app (MFA on), past her password 30 s later and an
    /// email code sent (read it with [`last_code`](Self::last_code)): the challenge.
    pub async fn ana_at_an_email_code(&self) -> SecondFactorChallenge {
        let ana = self.ana().await;
        let _app = self.add_app(&ana, "Phone", true).await;
        self.advance(30);
        let challenge = self.challenge("ana").await;
        self.start(challenge, Some(tessera::MfaMethod::Email)).await
    }

    /// Finishes `challenge` with the code of the last message delivered.
    pub async fn finish_with_last_code(&self, challenge: &SecondFactorChallenge) -> Assurance {
        self.flows
            .finish_second_factor(challenge, &self.last_code())
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

    /// A six-digit code that is not this app's at `at` (nor one step either side).
    pub fn wrong_code(&self, at: UnixTime) -> String {
        let near: Vec<String> = [-30, 0, 30]
            .map(|skew| {
                let app = self.soft.clone().with_skew(skew);
                app.code(at).unwrap().expose().to_owned()
            })
            .to_vec();
        (0..1_000_000u32)
            .map(|n| format!("{n:06}"))
            .find(|c| !near.contains(c))
            .unwrap()
    }
}

/// Sets up an authenticator app for `who` on any flows: start, scan the URI, two
/// consecutive codes, finish. Returns the app and what the finish returned.
pub async fn setup_app<'s>(
    flows: &Accounts<impl AccountStore, impl DeviceStore, impl MfaStore, impl Clock>,
    who: impl Into<tessera::SetupSession<'s>>,
    name: &str,
    enable: bool,
) -> (App, tessera::Notified<tessera::AuthenticatorAdded>) {
    let who = who.into();
    let enrolment = flows.start_authenticator_setup(who, name).await.unwrap();
    let app = App::scan(enrolment.uri(), enrolment.device_id());
    let [a, b] = app.two_codes(flows.now());
    let added = flows
        .finish_authenticator_setup(who, app.id, &[&a, &b], enable)
        .await
        .unwrap();
    (app, added)
}

/// Creates `user` with [`PASSWORD`] on any flows and signs them in (no MFA yet).
pub async fn signed_up(
    flows: &Accounts<impl AccountStore, impl DeviceStore, impl MfaStore, impl Clock>,
    user: &str,
    email: &str,
) -> Assurance {
    let password = Password::new(PASSWORD);
    flows.create_account(user, email, &password).await.unwrap();
    match flows.sign_in(user, &password, None).await.unwrap() {
        SignIn::Complete(a) => a,
        other => panic!("expected a complete sign-in, got {other:?}"),
    }
}

/// A step-up of `who` with `app`'s current code, on any flows.
pub async fn step_up_with_app(
    flows: &Accounts<impl AccountStore, impl DeviceStore, impl MfaStore, impl Clock>,
    who: &Assurance,
    app: &App,
) -> Assurance {
    let c = flows.start_step_up(who).await.unwrap();
    let c = flows
        .start_second_factor(c, Some(tessera::MfaMethod::AuthenticatorApp))
        .await
        .unwrap();
    flows
        .finish_second_factor(&c, &app.code(flows.now()))
        .await
        .unwrap()
}

/// A builder with a recording notifier and an in-memory delivery and nothing else (no
/// session store, the default policies): for tests that build their own flows.
pub fn bare_builder() -> tessera::AccountsBuilder {
    let mut builder = Accounts::in_memory_builder("Tessera").unwrap();
    builder
        .notifier(Arc::new(RecordingNotifier::new()))
        .delivery(Arc::new(InMemoryDelivery::new()));
    builder
}
