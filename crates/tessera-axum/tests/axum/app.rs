//! The service under test: the crate docs' router on the in-memory facade, a manual
//! clock and readable outboxes; and a browser that keeps its session cookie.
#![allow(dead_code, unreachable_pub)] // not every test module uses every fixture

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{FromRef, State};
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use axum::routing::{get, post};
use axum::{Json, Router};
use http_body_util::BodyExt;
use serde::Deserialize;
use serde_json::{Value, json};
use tessera::otp::SoftAuthenticator;
use tessera::testing::{ChaosAccountStore, Faults};
use tessera::{
    Accounts, Bounded, InMemoryAccountStore, InMemoryDelivery, InMemoryDeviceStore, InMemoryStore,
    ManualClock, Password, RecordingNotifier, SignIn, UnixTime,
};
use tessera_axum::{
    AuthError, AuthSession, PENDING_AUTHENTICATOR_SETUP, PENDING_SECOND_FACTOR, PENDING_STEP_UP,
    PendingEnrolment, PendingPasswordChange, PendingSecondFactor, RecentSecondFactor, SignedIn,
    SpawnBlocking, TesseraConfig, TesseraState, bounded_offload, retry_on_conflict,
};
use tower::ServiceExt;
use tower_sessions::{MemoryStore, SessionManagerLayer};

pub const T0: u64 = 1_767_225_600;
pub const PASSWORD: &str = "correct horse battery staple";
/// The maximum age of a second factor for `/danger-zone`.
pub const MAX_AGE: u64 = 300;
/// How many hashes may run at once: enough for the 32 concurrent sign-ins, so that
/// none is refused as busy and the counts are exact.
pub const PERMITS: usize = 32;

/// The facade on the in-memory stores, the account store behind a fault injector.
pub type Flows = Accounts<
    ChaosAccountStore<InMemoryAccountStore>,
    InMemoryDeviceStore,
    InMemoryStore,
    ManualClock,
>;

#[derive(Clone)]
pub struct AppState {
    accounts: Flows,
    tessera: TesseraState,
}

impl FromRef<AppState> for TesseraState {
    fn from_ref(app: &AppState) -> Self {
        app.tessera.clone()
    }
}

pub struct World {
    pub router: Router,
    pub accounts: Flows,
    pub clock: ManualClock,
    pub outbox: Arc<InMemoryDelivery>,
    pub sessions: MemoryStore,
    pub offload: Arc<Bounded<SpawnBlocking>>,
    /// Failures and conflicts of the account store, on command.
    pub faults: Arc<Faults>,
}

impl World {
    pub fn new() -> Self {
        Self::with(tessera::OrgPolicy::default(), PERMITS)
    }

    /// The service under an organisation's MFA policy.
    pub fn with_policy(policy: tessera::OrgPolicy) -> Self {
        Self::with(policy, PERMITS)
    }

    /// The service under `policy`, with `permits` hashes at once.
    pub fn with(policy: tessera::OrgPolicy, permits: usize) -> Self {
        let clock = ManualClock::new(UnixTime::from_secs(T0));
        let outbox = Arc::new(InMemoryDelivery::new());
        let offload = Arc::new(bounded_offload(permits));
        let faults = Faults::new();
        let accounts = Accounts::in_memory_builder("Tessera")
            .unwrap()
            .notifier(RecordingNotifier::new())
            .delivery(outbox.clone())
            .offload(offload.clone())
            .org_policy(policy)
            .build(
                ChaosAccountStore::new(InMemoryAccountStore::new(), faults.clone()),
                InMemoryDeviceStore::new(),
                InMemoryStore::new(),
                clock.clone(),
            )
            .unwrap();
        let config = TesseraConfig::builder()
            .second_factor_max_age(Duration::from_secs(MAX_AGE))
            .build()
            .unwrap();
        let state = AppState {
            tessera: TesseraState::new(accounts.clone(), config),
            accounts: accounts.clone(),
        };
        let sessions = MemoryStore::default();
        let router = router(state).layer(SessionManagerLayer::new(sessions.clone()));
        Self {
            router,
            accounts,
            clock,
            outbox,
            sessions,
            offload,
            faults,
        }
    }

    pub fn now(&self) -> UnixTime {
        tessera::Clock::now(&self.clock)
    }

    pub fn advance(&self, secs: u64) {
        self.clock.advance(Duration::from_secs(secs));
    }

    /// A browser with no cookie (asks for HTML).
    pub fn browser(&self) -> Client {
        Client::new(self.router.clone(), true)
    }

    /// A program with no cookie (asks for JSON).
    pub fn program(&self) -> Client {
        Client::new(self.router.clone(), false)
    }

    /// A program's sign-in as `user` with `password`, answered.
    pub async fn program_sign_in(&self, user: &str, password: &str) -> Reply {
        self.program()
            .post("/sign-in", json!({"username": user, "password": password}))
            .await
    }

    /// Signs `user` up (status 201 expected).
    pub async fn sign_up(&self, user: &str) {
        let r = self
            .program()
            .post(
                "/sign-up",
                json!({"username": user, "email": format!("{user}@example.com"), "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }

    /// Signs `user` up and in, with no MFA: a signed-in program.
    pub async fn signed_in(&self, user: &str) -> Client {
        self.sign_up(user).await;
        let c = self.program();
        let r = c.sign_in(user, PASSWORD).await;
        assert_eq!(r.json()["next"], "done");
        c
    }

    /// Signs `user` up and in, sets up an authenticator app with MFA on; returns the
    /// signed-in client and the app.
    pub async fn with_app(&self, user: &str) -> (Client, SoftAuthenticator) {
        let c = self.signed_in(user).await;
        let r = c.post("/mfa/app", json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let app = SoftAuthenticator::scan(r.json()["otpauth_uri"].as_str().unwrap()).unwrap();
        let [first, second] = app.two_codes(self.now()).unwrap();
        let r = c
            .post(
                "/mfa/app/activate",
                json!({"first": first.expose(), "second": second.expose()}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        (c, app)
    }

    /// 30 seconds on (a fresh time step), the app's code now.
    pub fn next_code(&self, app: &SoftAuthenticator) -> String {
        self.advance(30);
        app.code(self.now()).unwrap().expose().to_owned()
    }

    /// A fresh client half-signed-in as `user` (password right, second factor pending).
    pub async fn half_signed_in(&self, user: &str, html: bool) -> Client {
        let c = Client::new(self.router.clone(), html);
        let r = c.sign_in(user, PASSWORD).await;
        assert_eq!(r.json()["next"], "second_factor", "{}", r.text());
        c
    }
}

fn router(state: AppState) -> Router {
    Router::new()
        .route("/sign-up", post(sign_up))
        .route("/sign-in", post(sign_in))
        .route("/sign-in/second-factor", post(second_factor))
        .route("/sign-in/new-password", post(new_password))
        .route("/enrol/app", post(enrol_app))
        .route("/enrol/app/activate", post(finish_enrol_app))
        .route("/visit", get(visit))
        .route("/me", get(me))
        .route("/mfa/app", post(start_app))
        .route("/mfa/app/activate", post(finish_app))
        .route("/step-up", post(step_up))
        .route("/sign-out-everywhere", post(sign_out_everywhere))
        .route("/password", post(change_password))
        .route("/phone", post(link_phone))
        .route("/sign-out", post(sign_out))
        .route("/danger-zone", get(danger_zone))
        .with_state(state)
}

#[derive(Deserialize)]
struct SignUp {
    username: String,
    email: String,
    password: String,
}

async fn sign_up(
    State(app): State<AppState>,
    Json(f): Json<SignUp>,
) -> Result<StatusCode, AuthError> {
    let password = Password::new(f.password);
    app.accounts
        .create_account(&f.username, &f.email, &password)
        .await?;
    Ok(StatusCode::CREATED)
}

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
}

async fn sign_in(
    State(app): State<AppState>,
    session: AuthSession,
    Json(c): Json<Credentials>,
) -> Result<Json<Value>, AuthError> {
    let step = app
        .accounts
        .sign_in(&c.username, &Password::new(c.password), None)
        .await?;
    session.record_sign_in(&step).await?;
    Ok(Json(match step {
        SignIn::Complete(_) => json!({"next": "done"}),
        SignIn::SecondFactor(_) => json!({"next": "second_factor"}),
        SignIn::PasswordChangeRequired(_) => json!({"next": "choose_password"}),
        _ => json!({"next": "set_up_second_factor"}),
    }))
}

#[derive(Deserialize)]
struct Code {
    code: String,
}

async fn second_factor(
    State(app): State<AppState>,
    pending: PendingSecondFactor,
    Json(c): Json<Code>,
) -> Result<StatusCode, AuthError> {
    let (challenge, session) = pending.into_parts();
    let challenge = app.accounts.start_second_factor(challenge, None).await?;
    session.insert(PENDING_SECOND_FACTOR, &challenge).await?;
    let assurance = app
        .accounts
        .finish_second_factor(&challenge, &c.code)
        .await?;
    session.sign_in(&assurance).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct Replacement {
    new: String,
    confirm: String,
}

/// A temporary password's sign-in chooses the password it goes on with.
async fn new_password(
    State(app): State<AppState>,
    pending: PendingPasswordChange,
    Json(p): Json<Replacement>,
) -> Result<Json<Value>, AuthError> {
    let (change, session) = pending.into_parts();
    let step = app
        .accounts
        .finish_required_password_change(change, &Password::new(p.new), &Password::new(p.confirm))
        .await?;
    session.record_sign_in(&step).await?;
    Ok(Json(match step {
        SignIn::Complete(_) => json!({"next": "done"}),
        SignIn::SecondFactor(_) => json!({"next": "second_factor"}),
        _ => json!({"next": "set_up_second_factor"}),
    }))
}

/// MFA required and not set up: the only thing an enrolling session may do.
async fn enrol_app(
    State(app): State<AppState>,
    enrolling: PendingEnrolment,
) -> Result<Json<Value>, AuthError> {
    let enrolment = app
        .accounts
        .start_authenticator_setup(enrolling.enrolment(), "Phone")
        .await?;
    enrolling
        .session()
        .insert(PENDING_AUTHENTICATOR_SETUP, &enrolment.device_id())
        .await?;
    Ok(Json(json!({"otpauth_uri": enrolment.uri()})))
}

/// Two codes activate the app, turn MFA on and complete the sign-in.
async fn finish_enrol_app(
    State(app): State<AppState>,
    enrolling: PendingEnrolment,
    Json(c): Json<TwoCodes>,
) -> Result<StatusCode, AuthError> {
    let session = enrolling.session();
    let device = session
        .get(PENDING_AUTHENTICATOR_SETUP)
        .await?
        .ok_or(tessera::Error::NoMethodChosen)?;
    let added = app
        .accounts
        .finish_authenticator_setup(enrolling.enrolment(), device, &[&c.first, &c.second], true)
        .await?
        .into_value();
    let signed_in = added.signed_in.ok_or(tessera::Error::VerificationFailed)?;
    session.sign_in(&signed_in).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Writes an unrelated value, so the session exists (and has an id) before sign-in.
async fn visit(session: AuthSession) -> Result<StatusCode, AuthError> {
    session
        .inner()
        .insert("theme", "dark")
        .await
        .map_err(AuthError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(signed_in: SignedIn) -> Json<Value> {
    Json(json!({"account": signed_in.account().as_str()}))
}

async fn start_app(State(app): State<AppState>, me: SignedIn) -> Result<Json<Value>, AuthError> {
    let enrolment = app
        .accounts
        .start_authenticator_setup(me.assurance(), "Phone")
        .await?;
    me.session()
        .insert(PENDING_AUTHENTICATOR_SETUP, &enrolment.device_id())
        .await?;
    Ok(Json(json!({"otpauth_uri": enrolment.uri()})))
}

#[derive(Deserialize)]
struct TwoCodes {
    first: String,
    second: String,
}

async fn finish_app(
    State(app): State<AppState>,
    me: SignedIn,
    Json(c): Json<TwoCodes>,
) -> Result<Json<Value>, AuthError> {
    let device = me
        .session()
        .get(PENDING_AUTHENTICATOR_SETUP)
        .await?
        .ok_or(tessera::Error::NoMethodChosen)?;
    let added = app
        .accounts
        .finish_authenticator_setup(me.assurance(), device, &[&c.first, &c.second], true)
        .await?
        .into_value();
    me.session().remove(PENDING_AUTHENTICATOR_SETUP).await?;
    Ok(Json(
        json!({"recovery_codes": added.recovery_codes.map(|s| s.codes().len())}),
    ))
}

async fn step_up(
    State(app): State<AppState>,
    me: SignedIn,
    Json(c): Json<Code>,
) -> Result<StatusCode, AuthError> {
    let challenge = app.accounts.start_step_up(me.assurance()).await?;
    let challenge = app.accounts.start_second_factor(challenge, None).await?;
    me.session().insert(PENDING_STEP_UP, &challenge).await?;
    let fresher = app
        .accounts
        .finish_second_factor(&challenge, &c.code)
        .await?;
    me.session().renew(&fresher).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn sign_out_everywhere(
    State(app): State<AppState>,
    me: SignedIn,
) -> Result<StatusCode, AuthError> {
    let done = retry_on_conflict(3, || app.accounts.sign_out_everywhere(me.assurance()))
        .await?
        .into_value();
    me.session().renew(&done.assurance).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct NewPassword {
    current: String,
    new: String,
    confirm: String,
}

async fn change_password(
    State(app): State<AppState>,
    me: SignedIn,
    Json(p): Json<NewPassword>,
) -> Result<StatusCode, AuthError> {
    let (current, new, confirm) = (
        Password::new(p.current),
        Password::new(p.new),
        Password::new(p.confirm),
    );
    let changed = app
        .accounts
        .change_password(me.assurance(), &current, &new, &confirm)
        .await?
        .into_value();
    me.session().renew(&changed.assurance).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct Phone {
    number: String,
}

async fn link_phone(
    State(app): State<AppState>,
    me: SignedIn,
    Json(p): Json<Phone>,
) -> Result<StatusCode, AuthError> {
    let _ticket = app
        .accounts
        .start_phone_verification(me.assurance(), &p.number)
        .await?;
    Ok(StatusCode::ACCEPTED)
}

async fn sign_out(session: AuthSession) -> Result<StatusCode, AuthError> {
    session.sign_out().await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn danger_zone(fresh: RecentSecondFactor) -> Json<Value> {
    Json(json!({"account": fresh.assurance().account().as_str()}))
}

/// A response, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// The session id the response set (`id=…`), if it set one.
    pub fn session_cookie(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| {
                c.split(';')
                    .next()?
                    .trim()
                    .strip_prefix("id=")
                    .map(str::to_owned)
            })
    }
}

/// One client of the router, in process: keeps the session cookie it is given, as a
/// browser would, and asks for HTML or JSON.
#[derive(Clone)]
pub struct Client {
    router: Router,
    html: bool,
    cookie: Arc<std::sync::Mutex<Option<String>>>,
}

impl Client {
    pub fn new(router: Router, html: bool) -> Self {
        Self {
            router,
            html,
            cookie: Arc::default(),
        }
    }

    /// The same cookie jar, asking for the other kind of answer.
    pub fn as_html(&self, html: bool) -> Self {
        Self {
            html,
            ..self.clone()
        }
    }

    /// The session id this client holds.
    pub fn session_id(&self) -> Option<String> {
        self.cookie.lock().unwrap().clone()
    }

    /// Puts `id` in the jar (a planted or forged cookie).
    pub fn set_session_id(&self, id: Option<&str>) {
        *self.cookie.lock().unwrap() = id.map(str::to_owned);
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn sign_in(&self, user: &str, password: &str) -> Reply {
        let r = self
            .post("/sign-in", json!({"username": user, "password": password}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        r
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let accept = if self.html {
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
        } else {
            "application/json"
        };
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::ACCEPT, accept);
        if let Some(id) = self.session_id() {
            req = req.header(header::COOKIE, format!("id={id}"));
        }
        let req = match body {
            Some(b) => req
                .header(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .unwrap();
        let res = self.router.clone().oneshot(req).await.unwrap();
        let (parts, body) = res.into_parts();
        let body = body.collect().await.unwrap().to_bytes().to_vec();
        let reply = Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        };
        // A removal cookie (`id=; Max-Age=0`) empties the jar; a new id replaces it.
        if let Some(id) = reply.session_cookie() {
            let removed = reply
                .headers
                .get_all(header::SET_COOKIE)
                .iter()
                .any(|v| v.to_str().unwrap_or("").contains("Max-Age=0"));
            self.set_session_id((!removed && !id.is_empty()).then_some(id.as_str()));
        }
        reply
    }
}
