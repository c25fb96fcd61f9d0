//! Full ceremonies with webauthn-authenticator-rs's software authenticators
//! (SoftPasskey; SoftToken with packed attestation), and every refusal the issue lists,
//! each asserted on its exact error kind.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failure is a panic.

use std::sync::Arc;
use std::time::Duration;

use tessera_otp::{ManualClock, UnixTime};
use tessera_registry::{
    DeviceKind, DeviceRegistry, DeviceStatus, DeviceStore, InMemoryDeviceStore, Keyring,
    RegistryConfig, UserId,
};
use tessera_webauthn::{
    AttestationCaList, AttestationCaListBuilder, AuthenticationCeremony, CeremonyLedger, Claim,
    CreationChallengeResponse, CredentialIndex, Error, InMemoryCeremonyLedger,
    InMemoryCredentialIndex, KeyClass, KeyUsed, MinimumCredential, PublicKeyCredential, Refusal,
    RegisterPublicKeyCredential, RegisteredKey, RegistrationCeremony, RelyingParty,
    RelyingPartyBuilder, RequestChallengeResponse, Url, UserVerification, Uuid,
    parse_authentication_response, parse_registration_response, security_keys,
};
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_authenticator_rs::softtoken::{AAGUID as SOFT_TOKEN_AAGUID, SoftToken};

const RP_ID: &str = "example.com";
const ORIGIN: &str = "https://login.example.com";
const T0: u64 = 1_700_000_000;

type Registry = DeviceRegistry<InMemoryDeviceStore, ManualClock>;
type Rp = RelyingParty<ManualClock, Arc<InMemoryCeremonyLedger>, Arc<InMemoryCredentialIndex>>;

/// One deployment: a clock, a keyring, one registry, one ledger and one index shared by
/// every relying-party instance built from it.
struct World {
    clock: ManualClock,
    keyring: Arc<Keyring>,
    ledger: Arc<InMemoryCeremonyLedger>,
    index: Arc<InMemoryCredentialIndex>,
    registry: Registry,
}

impl World {
    fn new() -> Self {
        let clock = ManualClock::new(UnixTime::from_secs(T0));
        let keyring = Arc::new(Keyring::ephemeral().unwrap());
        let registry = DeviceRegistry::new(
            InMemoryDeviceStore::new(),
            clock.clone(),
            RegistryConfig::new("Example").unwrap(),
            keyring.clone(),
        );
        Self {
            clock,
            keyring,
            ledger: Arc::new(InMemoryCeremonyLedger::new()),
            index: Arc::new(InMemoryCredentialIndex::new()),
            registry,
        }
    }

    fn rp_with(&self, builder: RelyingPartyBuilder) -> Rp {
        builder
            .build(
                self.keyring.clone(),
                self.clock.clone(),
                self.ledger.clone(),
                self.index.clone(),
            )
            .unwrap()
    }

    fn rp(&self) -> Rp {
        self.rp_with(RelyingParty::builder(RP_ID, ORIGIN))
    }

    fn rp_requiring_uv(&self) -> Rp {
        self.rp_with(
            RelyingParty::builder(RP_ID, ORIGIN).user_verification(UserVerification::Required),
        )
    }

    async fn keys(&self, user: &UserId) -> Vec<tessera_registry::SecurityKey> {
        security_keys(&self.registry, user).await.unwrap()
    }

    /// Starts a registration and lets `browser` answer it from `origin`.
    async fn registration<B: WebauthnAuthenticator>(
        &self,
        rp: &Rp,
        user: &UserId,
        browser: &mut B,
    ) -> (RegistrationCeremony, RegisterPublicKeyCredential) {
        let (options, state) = start_registration(self, rp, user).await;
        (
            state,
            browser.do_registration(url(ORIGIN), options).unwrap(),
        )
    }

    async fn register<B: WebauthnAuthenticator>(
        &self,
        rp: &Rp,
        user: &UserId,
        browser: &mut B,
        name: &str,
    ) -> RegisteredKey {
        let (state, response) = self.registration(rp, user, browser).await;
        self.enrol(rp, user, state, &response, name).await.unwrap()
    }

    /// Finishes a registration against this world's registry (through any ledger and
    /// index: the failing ones too).
    async fn enrol<L: CeremonyLedger, I: CredentialIndex>(
        &self,
        rp: &RelyingParty<ManualClock, L, I>,
        user: &UserId,
        state: RegistrationCeremony,
        response: &RegisterPublicKeyCredential,
        name: &str,
    ) -> Result<RegisteredKey, Error> {
        rp.finish_registration(&self.registry, user, state, response, name)
            .await
    }

    /// Finishes an authentication against this world's registry (through any ledger
    /// and index).
    async fn sign_in<L: CeremonyLedger, I: CredentialIndex>(
        &self,
        rp: &RelyingParty<ManualClock, L, I>,
        user: &UserId,
        state: AuthenticationCeremony,
        response: PublicKeyCredential,
    ) -> Result<KeyUsed, Error> {
        rp.finish_authentication(&self.registry, user, state, response)
            .await
    }

    async fn start_authentication(
        &self,
        rp: &Rp,
        user: &UserId,
    ) -> (RequestChallengeResponse, AuthenticationCeremony) {
        rp.start_authentication(user, &self.keys(user).await)
            .unwrap()
    }

    async fn assertion<B: WebauthnAuthenticator>(
        &self,
        rp: &Rp,
        user: &UserId,
        browser: &mut B,
    ) -> (AuthenticationCeremony, PublicKeyCredential) {
        let (options, state) = self.start_authentication(rp, user).await;
        (
            state,
            browser.do_authentication(url(ORIGIN), options).unwrap(),
        )
    }
}

async fn start_registration(
    w: &World,
    rp: &Rp,
    user: &UserId,
) -> (CreationChallengeResponse, RegistrationCeremony) {
    let existing = w.keys(user).await;
    rp.start_registration(user, user.as_str(), user.as_str(), &existing)
        .unwrap()
}

fn url(s: &str) -> Url {
    s.parse().unwrap()
}

fn ana() -> UserId {
    UserId::new("ana")
}

fn bo() -> UserId {
    UserId::new("bo")
}

/// What a modified browser would send: the options edited as JSON.
fn edit<T: serde::Serialize + serde::de::DeserializeOwned>(
    value: &T,
    f: impl FnOnce(&mut serde_json::Value),
) -> T {
    let mut json = serde_json::to_value(value).unwrap();
    f(&mut json);
    serde_json::from_value(json).unwrap()
}

/// Asserts that `result` is the error `pattern`, showing it otherwise.
macro_rules! assert_refused {
    ($result:expr, $pattern:pat $(if $guard:expr)?) => {{
        let result = $result;
        assert!(matches!(result, Err($pattern) $(if $guard)?), "{result:?}");
    }};
}

/// Attestation roots trusting `ca` for `aaguid`. (A macro: the certificate's type is
/// not nameable from outside webauthn-authenticator-rs.)
macro_rules! roots_for {
    ($ca:expr, $aaguid:expr) => {{
        let mut builder = AttestationCaListBuilder::new();
        builder
            .insert_device_x509($ca, $aaguid, "soft token".into(), Default::default())
            .unwrap();
        builder.build()
    }};
}

// ---------------------------------------------------------------------------------
// Full ceremonies.

#[tokio::test]
async fn a_soft_passkey_registers_as_a_security_key_and_signs_in() {
    let w = World::new();
    let rp = w.rp();
    let mut browser = SoftPasskey::new(true);
    let key = w.register(&rp, &ana(), &mut browser, "Blue key").await;

    let listed = w.registry.list(&ana()).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, key.device_id);
    assert_eq!(listed[0].kind, DeviceKind::SecurityKey);
    assert_eq!(listed[0].name.as_str(), "Blue key");
    assert_eq!(listed[0].status, DeviceStatus::Active);
    assert_eq!(listed[0].created_at, UnixTime::from_secs(T0));
    assert_eq!(listed[0].last_used_at, None);
    assert!(
        w.registry
            .mfa_status(&ana())
            .await
            .unwrap()
            .has(DeviceKind::SecurityKey)
    );
    let stored = &w.keys(&ana()).await[0];
    assert!(stored.relying_party_record().is_some());
    assert_eq!(
        w.index.owner(stored.credential_id()).await.unwrap(),
        Some(ana())
    );

    w.clock.advance(Duration::from_secs(60));
    let (state, response) = w.assertion(&rp, &ana(), &mut browser).await;
    let used = w.sign_in(&rp, &ana(), state, response).await.unwrap();
    assert_eq!(used.device_id, key.device_id);
    assert!(used.sign_count > stored.sign_count());
    let listed = w.registry.list(&ana()).await.unwrap();
    assert_eq!(listed[0].last_used_at, Some(UnixTime::from_secs(T0 + 60)));
    let stored_after = &w.keys(&ana()).await[0];
    assert_eq!(stored_after.sign_count(), used.sign_count);
    assert_eq!(stored_after.flags(), used.flags);

    // And again: the counter keeps growing.
    let (state, response) = w.assertion(&rp, &ana(), &mut browser).await;
    let again = w.sign_in(&rp, &ana(), state, response).await.unwrap();
    assert!(again.sign_count > used.sign_count);
}

#[tokio::test]
async fn a_soft_token_with_attestation_registers_under_its_root_and_allow_list() {
    let w = World::new();
    let (mut token, ca) = SoftToken::new(true).unwrap();
    let rp = w.rp_with(
        RelyingParty::builder(RP_ID, ORIGIN)
            .attestation_roots(roots_for!(ca, SOFT_TOKEN_AAGUID))
            .allow_aaguids([SOFT_TOKEN_AAGUID]),
    );
    let key = w.register(&rp, &ana(), &mut token, "Token").await;
    assert_eq!(key.aaguid, SOFT_TOKEN_AAGUID);
    let stored = &w.keys(&ana()).await[0];
    assert_eq!(stored.aaguid(), *SOFT_TOKEN_AAGUID.as_bytes());
    assert_eq!(KeyClass::of(stored), KeyClass::Attested);
    let device = w.registry.store().load(&ana()).await.unwrap().value[0].clone();
    assert!(MinimumCredential::AttestedKey.is_met_by(&device));

    let (state, response) = w.assertion(&rp, &ana(), &mut token).await;
    let used = w.sign_in(&rp, &ana(), state, response).await.unwrap();
    assert_eq!(used.device_id, key.device_id);
}

#[tokio::test]
async fn user_verification_required_registers_and_signs_in_with_a_verifying_key() {
    let w = World::new();
    let rp = w.rp_requiring_uv();
    let mut browser = SoftPasskey::new(true);
    let key = w.register(&rp, &ana(), &mut browser, "Passkey").await;
    assert!(key.flags.user_verified);
    let (state, response) = w.assertion(&rp, &ana(), &mut browser).await;
    let used = w.sign_in(&rp, &ana(), state, response).await.unwrap();
    assert!(used.flags.user_verified);
}

#[tokio::test]
async fn user_verification_discouraged_works_with_a_presence_only_key() {
    let w = World::new();
    let rp = w.rp_with(
        RelyingParty::builder(RP_ID, ORIGIN).user_verification(UserVerification::Discouraged),
    );
    // This authenticator refuses any request for user verification.
    let mut browser = SoftPasskey::new(false);
    let key = w.register(&rp, &ana(), &mut browser, "Kiosk key").await;
    assert!(!key.flags.user_verified);
    let (state, response) = w.assertion(&rp, &ana(), &mut browser).await;
    let used = w.sign_in(&rp, &ana(), state, response).await.unwrap();
    assert!(!used.flags.user_verified);
}

#[tokio::test]
async fn the_state_is_text_and_another_instance_finishes_what_one_started() {
    let w = World::new();
    let (first, second) = (w.rp(), w.rp());
    let mut browser = SoftPasskey::new(true);
    let (options, state) = start_registration(&w, &first, &ana()).await;
    // Through a cookie or a form field, as text, and as JSON.
    let text = state.to_string();
    let json = serde_json::to_string(&RegistrationCeremony::parse(&text).unwrap()).unwrap();
    let state: RegistrationCeremony = serde_json::from_str(&json).unwrap();
    let response = browser.do_registration(url(ORIGIN), options).unwrap();
    // The browser's response as JSON, parsed with the bounded parser.
    let response = parse_registration_response(&serde_json::to_string(&response).unwrap()).unwrap();
    w.enrol(&second, &ana(), state, &response, "Key")
        .await
        .unwrap();

    let (options, state) = w.start_authentication(&first, &ana()).await;
    let state: AuthenticationCeremony = state.to_string().parse().unwrap();
    let response = browser.do_authentication(url(ORIGIN), options).unwrap();
    let response =
        parse_authentication_response(&serde_json::to_string(&response).unwrap()).unwrap();
    w.sign_in(&second, &ana(), state, response).await.unwrap();
}

#[tokio::test]
async fn the_users_keys_are_excluded_from_a_new_registration() {
    let w = World::new();
    let rp = w.rp();
    let mut browser = SoftPasskey::new(true);
    w.register(&rp, &ana(), &mut browser, "One").await;
    let (options, _state) = start_registration(&w, &rp, &ana()).await;
    let excluded: Vec<Vec<u8>> = options
        .public_key
        .exclude_credentials
        .unwrap()
        .into_iter()
        .map(|d| d.id.to_vec())
        .collect();
    assert_eq!(
        excluded,
        vec![w.keys(&ana()).await[0].credential_id().to_vec()]
    );
}

/// Chromium refuses a request for a non-discoverable credential that carries
/// `credProtect` (kanidm/webauthn-rs#490: "Requested protection policy is inconsistent
/// or incongruent with other requested parameters"), and webauthn-rs puts
/// `userVerificationRequired` in every security-key request: the options sent to the
/// browser leave it out, whatever the user-verification policy, and registration
/// still works.
#[tokio::test]
async fn registration_options_carry_no_cred_protect_for_a_server_side_credential() {
    let w = World::new();
    for rp in [w.rp(), w.rp_requiring_uv()] {
        let (options, _state) = start_registration(&w, &rp, &ana()).await;
        let json = serde_json::to_value(&options).unwrap();
        let public_key = &json["publicKey"];
        assert_ne!(
            public_key["authenticatorSelection"]["residentKey"],
            "required"
        );
        assert_ne!(
            public_key["authenticatorSelection"]["residentKey"],
            "preferred"
        );
        let extensions = public_key["extensions"].as_object().unwrap();
        assert!(
            !extensions.contains_key("credentialProtectionPolicy"),
            "{json}"
        );
        assert!(!extensions.contains_key("enforceCredentialProtectionPolicy"));
        // The other extensions webauthn-rs asks for stay.
        assert_eq!(extensions["credProps"], true);
    }
    let rp = w.rp();
    let mut browser = SoftPasskey::new(true);
    w.register(&rp, &ana(), &mut browser, "One").await;
    assert_eq!(w.keys(&ana()).await.len(), 1);
}

#[tokio::test]
async fn the_facade_path_opens_then_checks_inside_the_registry() {
    let w = World::new();
    let rp = w.rp();
    let mut browser = SoftPasskey::new(true);
    let key = w.register(&rp, &ana(), &mut browser, "Key").await;
    let (state, response) = w.assertion(&rp, &ana(), &mut browser).await;
    let opened = rp
        .open_authentication(&ana(), state, response)
        .await
        .unwrap();
    let verified = w
        .registry
        .verify_assertion_unthrottled(&ana(), &rp, &opened)
        .await
        .unwrap();
    assert_eq!(verified.device_id, key.device_id);
    assert!(opened.refusal().is_none());
}

// ---------------------------------------------------------------------------------
// Refusals.

#[tokio::test]
async fn a_response_from_another_origin_is_refused() {
    let w = World::new();
    let rp = w.rp();
    let mut browser = SoftPasskey::new(true);
    // A sibling subdomain the authenticator accepts for the id, but not an origin of
    // this relying party.
    let (options, state) = start_registration(&w, &rp, &ana()).await;
    let response = browser
        .do_registration(url("https://evil.example.com"), options)
        .unwrap();
    assert_refused!(
        w.enrol(&rp, &ana(), state, &response, "Key").await,
        Error::Refused(Refusal::Origin)
    );

    w.register(&rp, &ana(), &mut browser, "Key").await;
    let (options, state) = w.start_authentication(&rp, &ana()).await;
    let response = browser
        .do_authentication(url("https://evil.example.com"), options)
        .unwrap();
    assert_refused!(
        w.sign_in(&rp, &ana(), state, response).await,
        Error::Refused(Refusal::Origin)
    );
}

#[tokio::test]
async fn a_response_for_another_relying_party_id_is_refused() {
    let w = World::new();
    let rp = w.rp();
    let mut browser = SoftPasskey::new(true);
    // The page (or a phishing proxy) asks the authenticator for login.example.com.
    let (options, state) = start_registration(&w, &rp, &ana()).await;
    let options = edit(&options, |j| {
        j["publicKey"]["rp"]["id"] = "login.example.com".into()
    });
    let response = browser.do_registration(url(ORIGIN), options).unwrap();
    assert_refused!(
        w.enrol(&rp, &ana(), state, &response, "Key").await,
        Error::Refused(Refusal::RelyingPartyId)
    );

    w.register(&rp, &ana(), &mut browser, "Key").await;
    let (options, state) = w.start_authentication(&rp, &ana()).await;
    let options = edit(&options, |j| {
        j["publicKey"]["rpId"] = "login.example.com".into()
    });
    let response = browser.do_authentication(url(ORIGIN), options).unwrap();
    assert_refused!(
        w.sign_in(&rp, &ana(), state, response).await,
        Error::Refused(Refusal::RelyingPartyId)
    );
}

#[tokio::test]
async fn another_ceremonys_challenge_is_refused() {
    let w = World::new();
    let rp = w.rp();
    let mut browser = SoftPasskey::new(true);
    let (options, _first) = start_registration(&w, &rp, &ana()).await;
    let (_, second) = start_registration(&w, &rp, &ana()).await;
    let response = browser.do_registration(url(ORIGIN), options).unwrap();
    assert_refused!(
        w.enrol(&rp, &ana(), second, &response, "Key").await,
        Error::Refused(Refusal::Challenge)
    );

    w.register(&rp, &ana(), &mut browser, "Key").await;
    let (options, _first) = w.start_authentication(&rp, &ana()).await;
    let (_, second) = w.start_authentication(&rp, &ana()).await;
    let response = browser.do_authentication(url(ORIGIN), options).unwrap();
    assert_refused!(
        w.sign_in(&rp, &ana(), second, response).await,
        Error::Refused(Refusal::Challenge)
    );
}

#[tokio::test]
async fn another_users_or_relying_partys_state_does_not_open() {
    let w = World::new();
    let rp = w.rp();
    let mut browser = SoftPasskey::new(true);
    let (state, response) = w.registration(&rp, &bo(), &mut browser).await;
    assert_refused!(
        w.enrol(&rp, &ana(), state.clone(), &response, "Key").await,
        Error::InvalidState
    );
    // Another relying party sharing the keyring (another id) cannot open it either.
    let other = w.rp_with(RelyingParty::builder("login.example.com", ORIGIN));
    assert_refused!(
        w.enrol(&other, &bo(), state.clone(), &response, "Key")
            .await,
        Error::InvalidState
    );
    // A keyring without its key: refused the same way.
    let stranger = World::new();
    assert_refused!(
        stranger
            .rp()
            .finish_registration(&stranger.registry, &bo(), state, &response, "Key")
            .await,
        Error::InvalidState
    );
}

#[tokio::test]
async fn a_tampered_state_is_refused() {
    let w = World::new();
    let rp = w.rp();
    let mut browser = SoftPasskey::new(true);
    let (state, response) = w.registration(&rp, &ana(), &mut browser).await;
    let text = state.to_string();
    // Flip one character of the ciphertext (the last field).
    let mut bytes = text.into_bytes();
    let last = bytes.len() - 2;
    bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
    let tampered = RegistrationCeremony::parse(&String::from_utf8(bytes).unwrap()).unwrap();
    assert_refused!(
        w.enrol(&rp, &ana(), tampered, &response, "Key").await,
        Error::InvalidState
    );
    assert!(matches!(
        AuthenticationCeremony::parse("tsk1.nonsense"),
        Err(Error::InvalidState)
    ));
    // The untampered state still works: the refusal did not use it up.
    w.enrol(&rp, &ana(), state, &response, "Key").await.unwrap();
}

#[tokio::test]
async fn an_expired_state_is_refused() {
    let w = World::new();
    let rp = w.rp_with(RelyingParty::builder(RP_ID, ORIGIN).timeout(Duration::from_secs(60)));
    let mut browser = SoftPasskey::new(true);
    let (state, response) = w.registration(&rp, &ana(), &mut browser).await;
    w.clock.advance(Duration::from_secs(60));
    assert_refused!(
        w.enrol(&rp, &ana(), state, &response, "Key").await,
        Error::Expired
    );

    w.clock.advance(Duration::from_secs(1));
    w.register(&rp, &ana(), &mut browser, "Key").await;
    let (state, response) = w.assertion(&rp, &ana(), &mut browser).await;
    w.clock.advance(Duration::from_secs(59));
    let (fresh, fresh_response) = w.assertion(&rp, &ana(), &mut browser).await;
    w.clock.advance(Duration::from_secs(1));
    assert_refused!(
        w.sign_in(&rp, &ana(), state, response).await,
        Error::Expired
    );
    // One second short of its end a state is still good.
    w.clock.set(UnixTime::from_secs(T0 + 61 + 59 + 59));
    w.sign_in(&rp, &ana(), fresh, fresh_response).await.unwrap();
}

#[tokio::test]
async fn a_replayed_assertion_is_refused() {
    let w = World::new();
    let rp = w.rp();
    let mut browser = SoftPasskey::new(true);
    w.register(&rp, &ana(), &mut browser, "Key").await;
    let (state, response) = w.assertion(&rp, &ana(), &mut browser).await;
    w.sign_in(&rp, &ana(), state.clone(), response.clone())
        .await
        .unwrap();
    // The same state and response again: the ceremony is used.
    assert_refused!(
        w.sign_in(&rp, &ana(), state, response.clone()).await,
        Error::AlreadyUsed
    );
    // The response against a fresh ceremony: not its challenge.
    let (_, fresh) = w.start_authentication(&rp, &ana()).await;
    assert_refused!(
        w.sign_in(&rp, &ana(), fresh, response).await,
        Error::Refused(Refusal::Challenge)
    );
}

#[tokio::test]
async fn a_refused_response_uses_the_ceremony_up() {
    let w = World::new();
    let rp = w.rp();
    let mut browser = SoftPasskey::new(true);
    w.register(&rp, &ana(), &mut browser, "Key").await;
    let (state, mut response) = w.assertion(&rp, &ana(), &mut browser).await;
    let good = response.clone();
    response.response.signature[10] ^= 1;
    assert_refused!(
        w.sign_in(&rp, &ana(), state.clone(), response).await,
        Error::Refused(Refusal::Signature)
    );
    assert_refused!(
        w.sign_in(&rp, &ana(), state, good).await,
        Error::AlreadyUsed
    );
}

#[tokio::test]
async fn a_counter_that_did_not_grow_is_refused_as_a_possible_clone() {
    let w = World::new();
    let rp = w.rp();
    let mut browser = SoftPasskey::new(true);
    let key = w.register(&rp, &ana(), &mut browser, "Key").await;
    // Two assertions; the later one (higher counter) is used first, as a clone that
    // signed in meanwhile would have.
    let (older_state, older) = w.assertion(&rp, &ana(), &mut browser).await;
    let (newer_state, newer) = w.assertion(&rp, &ana(), &mut browser).await;
    let used = w.sign_in(&rp, &ana(), newer_state, newer).await.unwrap();
    assert_refused!(w.sign_in(&rp, &ana(), older_state, older)
        .await, Error::PossibleClone { device_id: Some(id) } if id == key.device_id);
    // Nothing was stored by the refusal.
    assert_eq!(w.keys(&ana()).await[0].sign_count(), used.sign_count);

    // The same through the facade's path: the registry says Rejected, the opened
    // assertion says why.
    let (older_state, older) = w.assertion(&rp, &ana(), &mut browser).await;
    let (newer_state, newer) = w.assertion(&rp, &ana(), &mut browser).await;
    w.sign_in(&rp, &ana(), newer_state, newer).await.unwrap();
    let opened = rp
        .open_authentication(&ana(), older_state, older)
        .await
        .unwrap();
    let refused = w
        .registry
        .verify_assertion_unthrottled(&ana(), &rp, &opened)
        .await;
    assert!(matches!(refused, Err(tessera_registry::Error::Rejected)));
    assert!(matches!(
        opened.refusal(),
        Some(Error::PossibleClone { .. })
    ));
}

/// The verifier's plain `verify` (the registry's trait method for verifiers that keep
/// no flags) answers the assertion's counter, as `verify_with_flags` does.
#[tokio::test]
async fn the_verifier_answers_the_assertions_counter() {
    use tessera_registry::AssertionVerifier;
    let w = World::new();
    let rp = w.rp();
    let mut browser = SoftPasskey::new(true);
    w.register(&rp, &ana(), &mut browser, "Key").await;
    for _ in 0..2 {
        let (state, response) = w.assertion(&rp, &ana(), &mut browser).await;
        w.sign_in(&rp, &ana(), state, response).await.unwrap();
    }
    let key = w.keys(&ana()).await.remove(0);
    let (state, response) = w.assertion(&rp, &ana(), &mut browser).await;
    let opened = rp
        .open_authentication(&ana(), state, response)
        .await
        .unwrap();
    let count = rp.verify(&key, &opened).unwrap();
    assert!(
        count > key.sign_count(),
        "{count} after {}",
        key.sign_count()
    );
    assert!(count >= 3);
    assert_eq!(
        rp.verify_with_flags(&key, &opened).unwrap().0,
        count,
        "both answers agree"
    );
}

#[tokio::test]
async fn another_users_credential_is_refused() {
    let w = World::new();
    let rp = w.rp();
    let (mut anas, mut bos) = (SoftPasskey::new(true), SoftPasskey::new(true));
    w.register(&rp, &ana(), &mut anas, "Ana's").await;
    w.register(&rp, &bo(), &mut bos, "Bo's").await;
    // Bo's ceremony, answered by Ana's key (the page swapped the allowed credential).
    let (options, state) = w.start_authentication(&rp, &bo()).await;
    let anas_id = w.keys(&ana()).await[0].credential_id().to_vec();
    let options = edit(&options, |j| {
        j["publicKey"]["allowCredentials"][0]["id"] =
            serde_json::to_value(webauthn_rs_id(&anas_id)).unwrap();
    });
    let response = anas.do_authentication(url(ORIGIN), options).unwrap();
    assert_refused!(
        w.sign_in(&rp, &bo(), state, response).await,
        Error::Refused(Refusal::UnknownCredential)
    );
}

/// A credential id in webauthn-rs's JSON form (unpadded URL-safe base64).
fn webauthn_rs_id(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test]
async fn missing_user_verification_is_refused_when_required() {
    let w = World::new();
    let rp = w.rp_requiring_uv();
    // An authenticator that cannot verify, behind a page that downgrades the request.
    let mut browser = SoftPasskey::new(false);
    let (options, state) = start_registration(&w, &rp, &ana()).await;
    let options = edit(&options, |j| {
        j["publicKey"]["authenticatorSelection"]["userVerification"] = "discouraged".into();
    });
    let response = browser.do_registration(url(ORIGIN), options).unwrap();
    assert_refused!(
        w.enrol(&rp, &ana(), state, &response, "Key").await,
        Error::Refused(Refusal::UserVerification)
    );

    // A key registered while UV was preferred, used after the policy became required.
    let preferred = w.rp();
    w.register(&preferred, &ana(), &mut browser, "Key").await;
    let (options, state) = w.start_authentication(&rp, &ana()).await;
    let options = edit(&options, |j| {
        j["publicKey"]["userVerification"] = "discouraged".into();
    });
    let response = browser.do_authentication(url(ORIGIN), options).unwrap();
    assert_refused!(
        w.sign_in(&rp, &ana(), state, response).await,
        Error::Refused(Refusal::UserVerification)
    );
}

#[tokio::test]
async fn a_tampered_signature_or_client_data_is_refused() {
    let w = World::new();
    let rp = w.rp();
    let mut browser = SoftPasskey::new(true);
    w.register(&rp, &ana(), &mut browser, "Key").await;

    let (state, mut response) = w.assertion(&rp, &ana(), &mut browser).await;
    let last = response.response.signature.len() - 1;
    response.response.signature[last] ^= 0x01;
    assert_refused!(
        w.sign_in(&rp, &ana(), state, response).await,
        Error::Refused(Refusal::Signature)
    );

    // Client data with the right challenge and origin plus one more member: the
    // signature covers its hash, so it no longer verifies.
    let (state, mut response) = w.assertion(&rp, &ana(), &mut browser).await;
    let cd = &mut response.response.client_data_json;
    assert_eq!(cd.pop(), Some(b'}'));
    cd.extend_from_slice(br#","extra":true}"#);
    assert_refused!(
        w.sign_in(&rp, &ana(), state, response).await,
        Error::Refused(Refusal::Signature)
    );

    // Authenticator data with the user-present flag cleared.
    let (state, mut response) = w.assertion(&rp, &ana(), &mut browser).await;
    response.response.authenticator_data[32] &= !0x01;
    assert_refused!(
        w.sign_in(&rp, &ana(), state, response).await,
        Error::Refused(Refusal::UserPresence)
    );
    // After all that the key still signs in.
    let (state, response) = w.assertion(&rp, &ana(), &mut browser).await;
    w.sign_in(&rp, &ana(), state, response).await.unwrap();
}

#[tokio::test]
async fn an_authenticator_outside_the_allow_list_or_roots_is_refused() {
    let w = World::new();
    let (mut token, ca) = SoftToken::new(true).unwrap();
    let other_model = Uuid::from_bytes([9; 16]);
    // Its root is trusted, but the organisation allows another model only.
    let rp = w.rp_with(
        RelyingParty::builder(RP_ID, ORIGIN)
            .attestation_roots(roots_for!(ca, SOFT_TOKEN_AAGUID))
            .allow_aaguids([other_model]),
    );
    let (state, response) = w.registration(&rp, &ana(), &mut token).await;
    assert_refused!(
        w.enrol(&rp, &ana(), state, &response, "Key").await,
        Error::AuthenticatorNotAllowed
    );

    // Its root is not among the trusted ones.
    let (_, strangers_ca) = SoftToken::new(true).unwrap();
    let rp = w.rp_with(
        RelyingParty::builder(RP_ID, ORIGIN)
            .attestation_roots(roots_for!(strangers_ca, SOFT_TOKEN_AAGUID)),
    );
    let (state, response) = w.registration(&rp, &ana(), &mut token).await;
    assert_refused!(
        w.enrol(&rp, &ana(), state, &response, "Key").await,
        Error::AuthenticatorNotAllowed
    );

    // A passkey without attestation, when roots are required.
    let mut passkey = SoftPasskey::new(true);
    let (state, response) = w.registration(&rp, &ana(), &mut passkey).await;
    assert_refused!(
        w.enrol(&rp, &ana(), state, &response, "Key").await,
        Error::AuthenticatorNotAllowed
    );
    assert!(w.registry.list(&ana()).await.unwrap().is_empty());
}

/// Rewrites a registration response's credential id (same length) in `rawId`, `id`
/// and the authenticator data, and re-encodes the attestation object as a "none"
/// attestation (unsigned, as many real authenticators send when no attestation is
/// asked for): what a malicious authenticator claiming someone's id would send.
fn with_credential_id(
    response: &RegisterPublicKeyCredential,
    id: &[u8],
) -> RegisterPublicKeyCredential {
    let old = response.raw_id.clone();
    assert_eq!(old.len(), id.len());
    let obj = &response.response.attestation_object;
    // The authData byte string follows its key (RFC 8949: 0x68 is a text string of
    // eight bytes; 0x58/0x59 a byte string with a one- or two-byte length).
    let key = b"\x68authData";
    let at = obj.windows(key.len()).position(|w| w == key).unwrap() + key.len();
    let (len, start) = match obj[at] {
        0x58 => (usize::from(obj[at + 1]), at + 2),
        0x59 => (
            usize::from(u16::from_be_bytes([obj[at + 1], obj[at + 2]])),
            at + 3,
        ),
        other => panic!("unexpected header {other:#x}"),
    };
    let mut auth_data = obj[start..start + len].to_vec();
    let pos = auth_data
        .windows(old.len())
        .position(|w| w == old.as_slice())
        .unwrap();
    auth_data[pos..pos + id.len()].copy_from_slice(id);
    let mut none = vec![0xa3, 0x63];
    none.extend_from_slice(b"fmt");
    none.push(0x64);
    none.extend_from_slice(b"none");
    none.push(0x67);
    none.extend_from_slice(b"attStmt");
    none.push(0xa0);
    none.push(0x68);
    none.extend_from_slice(b"authData");
    none.push(0x59);
    none.extend_from_slice(&u16::try_from(auth_data.len()).unwrap().to_be_bytes());
    none.extend_from_slice(&auth_data);
    let mut r = response.clone();
    r.response.attestation_object = none;
    r.raw_id = id.to_vec();
    r.id = webauthn_rs_id(id);
    r
}

#[tokio::test]
async fn a_credential_id_registered_to_any_account_is_refused() {
    let w = World::new();
    let rp = w.rp();
    let (mut anas, mut bos) = (SoftPasskey::new(true), SoftPasskey::new(true));
    w.register(&rp, &ana(), &mut anas, "Ana's").await;
    let anas_id = w.keys(&ana()).await[0].credential_id().to_vec();

    // The forgery itself is accepted when the id is fresh (so the refusal below is
    // about the id, nothing else).
    let (state, response) = w.registration(&rp, &UserId::new("cy"), &mut bos).await;
    let own = with_credential_id(&response, &response.raw_id.clone());
    w.enrol(&rp, &UserId::new("cy"), state, &own, "Cy's")
        .await
        .unwrap();

    // Bo's authenticator claims Ana's credential id.
    let (state, response) = w.registration(&rp, &bo(), &mut bos).await;
    let forged = with_credential_id(&response, &anas_id);
    assert_refused!(
        w.enrol(&rp, &bo(), state, &forged, "Bo's").await,
        Error::CredentialInUse
    );
    assert!(w.registry.list(&bo()).await.unwrap().is_empty());
    assert_eq!(w.index.owner(&anas_id).await.unwrap(), Some(ana()));

    // Ana registering her own id twice: refused by the registry, the claim kept.
    let (state, response) = w.registration(&rp, &ana(), &mut bos).await;
    let forged = with_credential_id(&response, &anas_id);
    assert_refused!(
        w.enrol(&rp, &ana(), state, &forged, "Again").await,
        Error::CredentialInUse
    );
    assert_eq!(w.index.owner(&anas_id).await.unwrap(), Some(ana()));
    assert_eq!(w.registry.list(&ana()).await.unwrap().len(), 1);
}

#[tokio::test]
async fn keys_count_in_the_eight_and_a_refused_ninth_releases_its_claim() {
    let w = World::new();
    let rp = w.rp();
    let mut browser = SoftPasskey::new(true);
    for i in 0..8 {
        w.register(&rp, &ana(), &mut browser, &format!("Key {i}"))
            .await;
    }
    let (state, response) = w.registration(&rp, &ana(), &mut browser).await;
    let refused = w.enrol(&rp, &ana(), state, &response, "Ninth").await;
    assert!(
        matches!(
            refused,
            Err(Error::Registry(tessera_registry::Error::TooManyDevices {
                max: 8
            }))
        ),
        "{refused:?}"
    );
    assert_eq!(w.index.owner(&response.raw_id).await.unwrap(), None);
    assert_eq!(w.registry.list(&ana()).await.unwrap().len(), 8);
}

#[tokio::test]
async fn a_name_the_registry_refuses_does_not_use_the_ceremony_up() {
    let w = World::new();
    let rp = w.rp();
    let mut browser = SoftPasskey::new(true);
    let (state, response) = w.registration(&rp, &ana(), &mut browser).await;
    let refused = w.enrol(&rp, &ana(), state.clone(), &response, "  ").await;
    assert!(
        matches!(
            refused,
            Err(Error::Registry(tessera_registry::Error::InvalidName { .. }))
        ),
        "{refused:?}"
    );
    w.enrol(&rp, &ana(), state, &response, "Key").await.unwrap();
}

#[tokio::test]
async fn no_key_no_authentication() {
    let w = World::new();
    let refused = w.rp().start_authentication(&ana(), &[]);
    assert!(matches!(
        refused,
        Err(Error::Refused(Refusal::UnknownCredential))
    ));
}

#[test]
fn the_builder_refuses_what_it_cannot_enforce() {
    let w = World::new();
    let build = |b: RelyingPartyBuilder| {
        b.build(
            w.keyring.clone(),
            w.clock.clone(),
            InMemoryCeremonyLedger::new(),
            InMemoryCredentialIndex::new(),
        )
        .map(|_| ())
    };
    let (_, ca) = SoftToken::new(true).unwrap();
    for (builder, why) in [
        (
            RelyingParty::builder("example.com", "https://example.net"),
            "foreign origin",
        ),
        (
            RelyingParty::builder("example.com", "http://example.com"),
            "http",
        ),
        (RelyingParty::builder("", ORIGIN), "empty id"),
        (
            RelyingParty::builder(RP_ID, ORIGIN).timeout(Duration::from_secs(29)),
            "short timeout",
        ),
        (
            RelyingParty::builder(RP_ID, ORIGIN).timeout(Duration::from_secs(601)),
            "long timeout",
        ),
        (
            RelyingParty::builder(RP_ID, ORIGIN).allow_aaguids([SOFT_TOKEN_AAGUID]),
            "allow-list without roots",
        ),
        (
            RelyingParty::builder(RP_ID, ORIGIN)
                .attestation_roots(roots_for!(ca, SOFT_TOKEN_AAGUID))
                .allow_aaguids([]),
            "empty allow-list",
        ),
        (
            RelyingParty::builder(RP_ID, ORIGIN).attestation_roots(AttestationCaList::default()),
            "empty roots",
        ),
        (RelyingParty::builder(RP_ID, ORIGIN).name(""), "empty name"),
        (
            RelyingParty::builder(RP_ID, ORIGIN).allow_origin("https://example.org"),
            "second foreign origin",
        ),
    ] {
        assert!(
            matches!(build(builder), Err(Error::InvalidConfig(_))),
            "{why}"
        );
    }
    assert!(
        build(RelyingParty::builder(RP_ID, ORIGIN).allow_origin("https://example.com:8443"))
            .is_ok()
    );
}

#[test]
fn the_user_handle_is_stable_and_does_not_carry_the_user_id() {
    let w = World::new();
    let rp = w.rp();
    assert_eq!(rp.user_handle(&ana()), rp.user_handle(&ana()));
    assert_ne!(rp.user_handle(&ana()), rp.user_handle(&bo()));
    let other = w.rp_with(RelyingParty::builder("login.example.com", ORIGIN));
    assert_ne!(rp.user_handle(&ana()), other.user_handle(&ana()));
    let (options, _) = rp.start_registration(&ana(), "ana", "Ana", &[]).unwrap();
    assert_eq!(
        options.public_key.user.id.as_slice(),
        rp.user_handle(&ana()).as_bytes()
    );
}

#[tokio::test]
async fn the_in_memory_index_passes_the_conformance_suite() {
    tessera_webauthn::testing::run_index_conformance(&InMemoryCredentialIndex::new()).await;
    let index = InMemoryCredentialIndex::new();
    assert_eq!(index.claim(b"x", &ana()).await.unwrap(), Claim::Claimed);
}

/// An index that says every id is free (it claims nothing): the suite must notice.
struct ForgetfulIndex;

impl CredentialIndex for ForgetfulIndex {
    async fn claim(
        &self,
        _id: &[u8],
        _user: &UserId,
    ) -> Result<Claim, tessera_registry::StoreError> {
        Ok(Claim::Claimed)
    }
    async fn release(
        &self,
        _id: &[u8],
        _user: &UserId,
    ) -> Result<(), tessera_registry::StoreError> {
        Ok(())
    }
    async fn owner(&self, _id: &[u8]) -> Result<Option<UserId>, tessera_registry::StoreError> {
        Ok(None)
    }
}

#[tokio::test]
#[should_panic(expected = "assertion `left == right` failed")]
async fn the_conformance_suite_fails_an_index_that_claims_nothing() {
    tessera_webauthn::testing::run_index_conformance(&ForgetfulIndex).await;
}

// ---------------------------------------------------------------------------------
// Bounds: every limit accepted at its value and refused one past it.

fn build(w: &World, b: RelyingPartyBuilder) -> Result<Rp, Error> {
    b.build(
        w.keyring.clone(),
        w.clock.clone(),
        w.ledger.clone(),
        w.index.clone(),
    )
}

#[test]
fn sixteen_origins_a_128_character_name_and_256_aaguids_at_most() {
    let w = World::new();
    let with_origins = |n: usize| {
        (1..n).fold(RelyingParty::builder(RP_ID, ORIGIN), |b, i| {
            b.allow_origin(&format!("https://login{i}.{RP_ID}"))
        })
    };
    let rp = build(&w, with_origins(16)).unwrap();
    assert_eq!(rp.origins().len(), 16);
    assert_eq!(rp.origins()[0].as_str(), format!("{ORIGIN}/"));
    assert!(matches!(
        build(&w, with_origins(17)),
        Err(Error::InvalidConfig(_))
    ));

    let name = "é".repeat(128);
    let rp = build(&w, RelyingParty::builder(RP_ID, ORIGIN).name(&name)).unwrap();
    assert_eq!(rp.name(), name);
    assert_eq!(w.rp().name(), RP_ID, "the id when no name is given");
    for bad in ["é".repeat(129), "   ".to_owned(), "Ex\u{7}ample".to_owned()] {
        assert!(
            matches!(
                build(&w, RelyingParty::builder(RP_ID, ORIGIN).name(&bad)),
                Err(Error::InvalidConfig(_))
            ),
            "{bad:?}"
        );
    }

    let (_, ca) = SoftToken::new(true).unwrap();
    let aaguids = |n: u128| (1..=n).map(Uuid::from_u128).collect::<Vec<_>>();
    let rp = build(
        &w,
        RelyingParty::builder(RP_ID, ORIGIN)
            .attestation_roots(roots_for!(ca.clone(), SOFT_TOKEN_AAGUID))
            .allow_aaguids(aaguids(256)),
    )
    .unwrap();
    assert!(rp.requires_attestation());
    assert!(!w.rp().requires_attestation());
    assert!(matches!(
        build(
            &w,
            RelyingParty::builder(RP_ID, ORIGIN)
                .attestation_roots(roots_for!(ca, SOFT_TOKEN_AAGUID))
                .allow_aaguids(aaguids(257)),
        ),
        Err(Error::InvalidConfig(_))
    ));
}

/// The user-verification policy reaches the browser: presence only for
/// `Discouraged` (and then no credProtect), preferred by default.
#[tokio::test]
async fn the_user_verification_policy_reaches_the_browsers_options() {
    let w = World::new();
    let asked = |rp: &Rp| {
        let (options, _) = rp.start_registration(&ana(), "ana", "Ana", &[]).unwrap();
        serde_json::to_value(&options).unwrap()["publicKey"]["authenticatorSelection"]
            ["userVerification"]
            .clone()
    };
    assert_eq!(asked(&w.rp()), "preferred");
    assert_eq!(asked(&w.rp_requiring_uv()), "required");
    let discouraged = w.rp_with(
        RelyingParty::builder(RP_ID, ORIGIN).user_verification(UserVerification::Discouraged),
    );
    assert_eq!(asked(&discouraged), "discouraged");
}

/// Passwordless registrations ask for a discoverable credential, which Chromium
/// accepts with credProtect: that extension stays in their options.
#[tokio::test]
async fn a_discoverable_request_keeps_its_cred_protect() {
    let w = World::new();
    let rp = passwordless(&w);
    let (options, _) = rp.start_registration(&ana(), "ana", "Ana", &[]).unwrap();
    let json = serde_json::to_value(&options).unwrap();
    assert_eq!(
        json["publicKey"]["authenticatorSelection"]["residentKey"],
        "preferred"
    );
    assert!(
        json["publicKey"]["extensions"]
            .as_object()
            .unwrap()
            .contains_key("credentialProtectionPolicy"),
        "{json}"
    );
}

#[tokio::test]
async fn user_and_display_names_are_checked_alike() {
    let w = World::new();
    let rp = w.rp();
    let long = "é".repeat(256);
    assert!(rp.start_registration(&ana(), &long, &long, &[]).is_ok());
    let too_long = "é".repeat(257);
    for bad in [too_long.as_str(), "  ", "ana\n"] {
        for (user, display) in [(bad, "Ana"), ("ana", bad)] {
            assert!(
                matches!(
                    rp.start_registration(&ana(), user, display, &[]),
                    Err(Error::InvalidConfig(_))
                ),
                "{user:?} / {display:?}"
            );
        }
    }
}

/// A response is parsed up to 64 KiB, whitespace included, and refused one byte past.
#[tokio::test]
async fn responses_are_parsed_up_to_64_kib_and_refused_beyond() {
    let w = World::new();
    let rp = w.rp();
    let mut browser = SoftPasskey::new(true);
    let (options, _state) = start_registration(&w, &rp, &ana()).await;
    let registration = browser.do_registration(url(ORIGIN), options).unwrap();
    w.register(&rp, &ana(), &mut browser, "Key").await;
    let (_, assertion) = w.assertion(&rp, &ana(), &mut browser).await;
    let padded = |json: String, len: usize| format!("{json}{}", " ".repeat(len - json.len()));
    let registration = serde_json::to_string(&registration).unwrap();
    let assertion = serde_json::to_string(&assertion).unwrap();
    assert_eq!(tessera_webauthn::MAX_RESPONSE_LEN, 65_536);
    for len in [2_000, 65_536] {
        assert!(parse_registration_response(&padded(registration.clone(), len)).is_ok());
        assert!(parse_authentication_response(&padded(assertion.clone(), len)).is_ok());
    }
    assert!(matches!(
        parse_registration_response(&padded(registration, 65_537)),
        Err(Error::MalformedResponse(_))
    ));
    assert!(matches!(
        parse_authentication_response(&padded(assertion, 65_537)),
        Err(Error::MalformedResponse(_))
    ));
}

// ---------------------------------------------------------------------------------
// Races.

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_finishes_of_one_authentication_state_exactly_one_succeeds() {
    let w = Arc::new(World::new());
    let rp = Arc::new(w.rp());
    let mut browser = SoftPasskey::new(true);
    w.register(&rp, &ana(), &mut browser, "Key").await;
    for _ in 0..10 {
        let (state, response) = w.assertion(&rp, &ana(), &mut browser).await;
        let runs: Vec<_> = (0..2)
            .map(|_| {
                let (w, rp, state, response) =
                    (w.clone(), rp.clone(), state.clone(), response.clone());
                tokio::spawn(async move { w.sign_in(&rp, &ana(), state, response).await })
            })
            .collect();
        let mut results = Vec::new();
        for r in runs {
            results.push(r.await.unwrap());
        }
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
        assert!(
            results.iter().any(|r| matches!(r, Err(Error::AlreadyUsed))),
            "{results:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_finishes_of_one_registration_state_exactly_one_succeeds() {
    let w = Arc::new(World::new());
    let rp = Arc::new(w.rp());
    let mut browser = SoftPasskey::new(true);
    let (state, response) = w.registration(&rp, &ana(), &mut browser).await;
    let runs: Vec<_> = (0..2)
        .map(|i| {
            let (w, rp, state, response) = (w.clone(), rp.clone(), state.clone(), response.clone());
            tokio::spawn(async move {
                w.enrol(&rp, &ana(), state, &response, &format!("Key {i}"))
                    .await
            })
        })
        .collect();
    let mut ok = 0;
    for r in runs {
        match r.await.unwrap() {
            Ok(_) => ok += 1,
            Err(e) => assert!(matches!(e, Error::AlreadyUsed), "{e:?}"),
        }
    }
    assert_eq!(ok, 1);
    assert_eq!(w.registry.list(&ana()).await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_assertions_finished_concurrently_store_the_highest_counter_once() {
    // Two ceremonies in flight for one key (two tabs): both may verify, in either
    // order; the stored counter is never lowered and each save is compare-and-set.
    let w = Arc::new(World::new());
    let rp = Arc::new(w.rp());
    let mut browser = SoftPasskey::new(true);
    w.register(&rp, &ana(), &mut browser, "Key").await;
    let (s1, a1) = w.assertion(&rp, &ana(), &mut browser).await;
    let (s2, a2) = w.assertion(&rp, &ana(), &mut browser).await;
    let runs: Vec<_> = [(s1, a1), (s2, a2)]
        .into_iter()
        .map(|(s, a)| {
            let (w, rp) = (w.clone(), rp.clone());
            tokio::spawn(async move { w.sign_in(&rp, &ana(), s, a).await })
        })
        .collect();
    let mut counters = Vec::new();
    for r in runs {
        match r.await.unwrap() {
            Ok(used) => counters.push(used.sign_count),
            // The lower counter arriving second is a possible clone, by the rule.
            Err(e) => assert!(matches!(e, Error::PossibleClone { .. }), "{e:?}"),
        }
    }
    assert!(!counters.is_empty());
    let stored = w.keys(&ana()).await[0].sign_count();
    assert_eq!(stored, *counters.iter().max().unwrap());
}

#[tokio::test]
async fn a_state_started_before_the_policy_required_verification_is_held_to_it() {
    let w = World::new();
    let (before, after) = (w.rp(), w.rp_requiring_uv());
    let mut browser = SoftPasskey::new(false);
    // Started under Preferred, finished after the switch to Required.
    let (state, response) = w.registration(&before, &ana(), &mut browser).await;
    assert_refused!(
        w.enrol(&after, &ana(), state, &response, "Key").await,
        Error::Refused(Refusal::UserVerification)
    );
    w.register(&before, &ana(), &mut browser, "Key").await;
    let (state, response) = w.assertion(&before, &ana(), &mut browser).await;
    assert_refused!(
        w.sign_in(&after, &ana(), state, response).await,
        Error::Refused(Refusal::UserVerification)
    );
}

#[tokio::test]
async fn removing_a_key_frees_its_slot_and_its_credential_id() {
    let w = World::new();
    let rp = w.rp();
    let (mut anas, mut bos) = (SoftPasskey::new(true), SoftPasskey::new(true));
    let key = w.register(&rp, &ana(), &mut anas, "Ana's").await;
    let anas_id = w.keys(&ana()).await[0].credential_id().to_vec();
    let removed = rp
        .remove_device(&w.registry, &ana(), key.device_id)
        .await
        .unwrap();
    assert_eq!(removed.kind, DeviceKind::SecurityKey);
    assert!(w.registry.list(&ana()).await.unwrap().is_empty());
    assert_eq!(w.index.owner(&anas_id).await.unwrap(), None);
    // The removed key no longer signs in: no key left to start with.
    assert!(matches!(
        rp.start_authentication(&ana(), &w.keys(&ana()).await),
        Err(Error::Refused(Refusal::UnknownCredential))
    ));
    // Its id is free: another account may now hold it.
    let (state, response) = w.registration(&rp, &bo(), &mut bos).await;
    let forged = with_credential_id(&response, &anas_id);
    w.enrol(&rp, &bo(), state, &forged, "Bo's").await.unwrap();
    assert_eq!(w.index.owner(&anas_id).await.unwrap(), Some(bo()));
    assert!(matches!(
        rp.remove_device(&w.registry, &ana(), key.device_id).await,
        Err(Error::Registry(tessera_registry::Error::DeviceNotFound))
    ));
}

#[test]
fn a_security_key_stored_before_this_crate_still_reads() {
    // The registry's document form of a key from before flags and records existed.
    let old = r#"{"credential_id":[1,2],"public_key":[3],"sign_count":4,
        "aaguid":[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]}"#;
    let key: tessera_registry::SecurityKey = serde_json::from_str(old).unwrap();
    assert_eq!(key.sign_count(), 4);
    assert_eq!(key.flags(), tessera_registry::KeyFlags::default());
    assert_eq!(key.relying_party_record(), None);
    // Such a key cannot start a ceremony here (no webauthn-rs record): refused, no panic.
    let w = World::new();
    assert!(matches!(
        w.rp().start_authentication(&ana(), &[key]),
        Err(Error::Refused(Refusal::UnknownCredential))
    ));
}

// ---------------------------------------------------------------------------------
// Passwordless sign-in (discoverable credentials).

fn passwordless(w: &World) -> Rp {
    w.rp_with(
        RelyingParty::builder(RP_ID, ORIGIN)
            .user_verification(UserVerification::Required)
            .passwordless(true),
    )
}

/// What a passkey provider does with a discoverable request: it picks its credential
/// for the relying party (here: the test names it in the options the soft passkey
/// reads) and returns the user handle it stored at registration (unsigned in WebAuthn,
/// so the test can set it as the provider would).
fn discover(
    browser: &mut SoftPasskey,
    options: RequestChallengeResponse,
    credential_id: &[u8],
    user_handle: Option<Uuid>,
) -> PublicKeyCredential {
    let options = edit(&options, |j| {
        j["publicKey"]["allowCredentials"] = serde_json::json!([
            {"type": "public-key", "id": webauthn_rs_id(credential_id)}
        ]);
    });
    let mut response = browser.do_authentication(url(ORIGIN), options).unwrap();
    response.response.user_handle = user_handle.map(|h| h.as_bytes().to_vec());
    response
}

#[tokio::test]
async fn a_passkey_signs_in_without_a_password_when_the_organisation_allows_it() {
    let w = World::new();
    let rp = passwordless(&w);
    let mut browser = SoftPasskey::new(true);
    let (options, _) = start_registration(&w, &rp, &ana()).await;
    let asked = serde_json::to_value(&options).unwrap();
    assert_eq!(
        asked["publicKey"]["authenticatorSelection"]["residentKey"],
        "preferred"
    );
    let key = w.register(&rp, &ana(), &mut browser, "Passkey").await;
    let id = w.keys(&ana()).await[0].credential_id().to_vec();

    let (options, state) = rp.start_passkey_sign_in().unwrap();
    assert!(options.public_key.allow_credentials.is_empty());
    assert!(serde_json::to_value(&options).unwrap()["mediation"] == "conditional");
    let response = discover(&mut browser, options, &id, Some(rp.user_handle(&ana())));
    let (user, used) = rp
        .finish_passkey_sign_in(&w.registry, state.clone(), response.clone())
        .await
        .unwrap();
    assert_eq!(user, ana());
    assert_eq!(used.device_id, key.device_id);
    assert!(used.flags.user_verified);
    // Replayed: the ceremony is used.
    assert_refused!(
        rp.finish_passkey_sign_in(&w.registry, state, response)
            .await,
        Error::AlreadyUsed
    );
}

#[tokio::test]
async fn a_passkey_sign_in_refuses_a_foreign_or_missing_user_handle_and_unknown_keys() {
    let w = World::new();
    let rp = passwordless(&w);
    let (mut anas, mut bos) = (SoftPasskey::new(true), SoftPasskey::new(true));
    w.register(&rp, &ana(), &mut anas, "Ana's").await;
    w.register(&rp, &bo(), &mut bos, "Bo's").await;
    let anas_id = w.keys(&ana()).await[0].credential_id().to_vec();
    for handle in [Some(rp.user_handle(&bo())), None] {
        let (options, state) = rp.start_passkey_sign_in().unwrap();
        let response = discover(&mut anas, options, &anas_id, handle);
        assert_refused!(
            rp.finish_passkey_sign_in(&w.registry, state, response)
                .await,
            Error::Refused(Refusal::UnknownCredential)
        );
    }
    // A key whose id no account holds (removed since).
    let devices = w.registry.list(&ana()).await.unwrap();
    rp.remove_device(&w.registry, &ana(), devices[0].id)
        .await
        .unwrap();
    let (options, state) = rp.start_passkey_sign_in().unwrap();
    let response = discover(&mut anas, options, &anas_id, Some(rp.user_handle(&ana())));
    assert_refused!(
        rp.finish_passkey_sign_in(&w.registry, state, response)
            .await,
        Error::Refused(Refusal::UnknownCredential)
    );
}

#[tokio::test]
async fn a_passkey_sign_in_needs_user_verification() {
    let w = World::new();
    let rp = passwordless(&w);
    // Registered as a second factor without a PIN, before passwordless was turned on.
    let mut browser = SoftPasskey::new(false);
    w.register(&w.rp(), &ana(), &mut browser, "Key").await;
    let id = w.keys(&ana()).await[0].credential_id().to_vec();
    let (options, state) = rp.start_passkey_sign_in().unwrap();
    let options = edit(&options, |j| {
        j["publicKey"]["userVerification"] = "discouraged".into()
    });
    let response = discover(&mut browser, options, &id, Some(rp.user_handle(&ana())));
    assert_refused!(
        rp.finish_passkey_sign_in(&w.registry, state, response)
            .await,
        Error::Refused(Refusal::UserVerification)
    );
}

#[tokio::test]
async fn passwordless_is_off_unless_turned_on_and_states_do_not_cross_ceremonies() {
    let w = World::new();
    assert!(matches!(
        w.rp().start_passkey_sign_in(),
        Err(Error::InvalidConfig(_))
    ));
    let unverified = RelyingParty::builder(RP_ID, ORIGIN)
        .passwordless(true)
        .build(
            w.keyring.clone(),
            w.clock.clone(),
            InMemoryCeremonyLedger::new(),
            InMemoryCredentialIndex::new(),
        );
    assert!(matches!(unverified, Err(Error::InvalidConfig(_))));

    let rp = passwordless(&w);
    let mut browser = SoftPasskey::new(true);
    w.register(&rp, &ana(), &mut browser, "Passkey").await;
    let id = w.keys(&ana()).await[0].credential_id().to_vec();
    // A sign-in state as an authentication state, and the other way round.
    let (options, sign_in) = rp.start_passkey_sign_in().unwrap();
    let response = discover(&mut browser, options, &id, Some(rp.user_handle(&ana())));
    let as_auth = AuthenticationCeremony::parse(&sign_in.to_string()).unwrap();
    assert_refused!(
        w.sign_in(&rp, &ana(), as_auth, response.clone()).await,
        Error::InvalidState
    );
    let (_, auth) = w.start_authentication(&rp, &ana()).await;
    let as_sign_in = tessera_webauthn::PasskeySignInCeremony::parse(&auth.to_string()).unwrap();
    assert_refused!(
        rp.finish_passkey_sign_in(&w.registry, as_sign_in, response)
            .await,
        Error::InvalidState
    );
}

// ---------------------------------------------------------------------------------
// Failing stores: refused, nothing checked or stored.

struct FailingLedger;

impl CeremonyLedger for FailingLedger {
    async fn consume(
        &self,
        _: tessera_webauthn::CeremonyId,
        _: UnixTime,
        _: UnixTime,
    ) -> Result<bool, tessera_registry::StoreError> {
        Err(tessera_registry::StoreError::backend("ledger down"))
    }
}

struct FailingIndex;

impl CredentialIndex for FailingIndex {
    async fn claim(&self, _: &[u8], _: &UserId) -> Result<Claim, tessera_registry::StoreError> {
        Err(tessera_registry::StoreError::backend("index down"))
    }
    async fn release(&self, _: &[u8], _: &UserId) -> Result<(), tessera_registry::StoreError> {
        Err(tessera_registry::StoreError::backend("index down"))
    }
    async fn owner(&self, _: &[u8]) -> Result<Option<UserId>, tessera_registry::StoreError> {
        Err(tessera_registry::StoreError::backend("index down"))
    }
}

#[tokio::test]
async fn a_ledger_or_index_that_fails_refuses_and_stores_nothing() {
    let w = World::new();
    let mut browser = SoftPasskey::new(true);
    let no_ledger = RelyingParty::builder(RP_ID, ORIGIN)
        .build(
            w.keyring.clone(),
            w.clock.clone(),
            FailingLedger,
            w.index.clone(),
        )
        .unwrap();
    let (options, state) = no_ledger
        .start_registration(&ana(), "ana", "Ana", &[])
        .unwrap();
    let response = browser.do_registration(url(ORIGIN), options).unwrap();
    assert_refused!(
        w.enrol(&no_ledger, &ana(), state, &response, "Key").await,
        Error::Store(_)
    );
    assert!(w.registry.list(&ana()).await.unwrap().is_empty());

    let no_index = RelyingParty::builder(RP_ID, ORIGIN)
        .build(
            w.keyring.clone(),
            w.clock.clone(),
            w.ledger.clone(),
            FailingIndex,
        )
        .unwrap();
    let (options, state) = no_index
        .start_registration(&ana(), "ana", "Ana", &[])
        .unwrap();
    let response = browser.do_registration(url(ORIGIN), options).unwrap();
    assert_refused!(
        w.enrol(&no_index, &ana(), state, &response, "Key").await,
        Error::Store(_)
    );
    assert!(w.registry.list(&ana()).await.unwrap().is_empty());

    // Signing in with a key while the ledger is down: refused before any check, and the
    // counter is unchanged.
    let rp = w.rp();
    w.register(&rp, &ana(), &mut browser, "Key").await;
    let before = w.keys(&ana()).await[0].sign_count();
    let (options, state) = no_ledger
        .start_authentication(&ana(), &w.keys(&ana()).await)
        .unwrap();
    let response = browser.do_authentication(url(ORIGIN), options).unwrap();
    assert_refused!(
        w.sign_in(&no_ledger, &ana(), state, response).await,
        Error::Store(_)
    );
    assert_eq!(w.keys(&ana()).await[0].sign_count(), before);
}
