//! FIDO security keys and passkeys for Tessera, verified for real with
//! [webauthn-rs](https://docs.rs/webauthn-rs) (MPL-2.0, RustCrypto backends, no
//! OpenSSL).
//!
//! A [`RelyingParty`] runs the two WebAuthn ceremonies and feeds the
//! [`DeviceRegistry`](tessera_registry::DeviceRegistry):
//!
//! - **Registration**: [`RelyingParty::start_registration`] gives the options for
//!   `navigator.credentials.create()` (the user's existing keys excluded) and a sealed
//!   [`RegistrationCeremony`]; [`RelyingParty::finish_registration`] checks the
//!   browser's response (origin, relying party id, challenge, attestation and its
//!   roots, the AAGUID allow-list, user verification per policy), claims the
//!   credential id across all accounts in a [`CredentialIndex`], and registers an
//!   active security-key device, counted in the user's eight.
//! - **Authentication** (second factor at sign-in, step-up):
//!   [`RelyingParty::start_authentication`] and
//!   [`RelyingParty::finish_authentication`]. The check runs *inside* the registry's
//!   compare-and-set write ([`RelyingParty`] is an
//!   [`AssertionVerifier`](tessera_registry::AssertionVerifier)), against the key as
//!   stored at that moment; the counter must grow (a regression is
//!   [`Error::PossibleClone`]), and the counter, flags (backup eligible, backed up,
//!   user verified) and last-used time are saved in the same write.
//!
//! # Ceremony state
//! Every `start_*` returns its state **by value** (`#[must_use]`), sealed with the
//! workspace [`Keyring`](tessera_keyring::Keyring) (AES-256-GCM, bound to the purpose,
//! the relying party id and the user): keep it in the session or a hidden form field;
//! nobody without the keyring can read or change it, and any instance sharing the
//! keyring can finish it. It expires after the relying party's timeout (checked with
//! its [`Clock`](tessera_otp::Clock)) and is **single use**: the finish records its
//! random id in a [`CeremonyLedger`] before checking anything, so a refused response
//! uses it up too. Share one ledger between instances (a table with a primary key, a
//! Redis `SET NX`); [`InMemoryCeremonyLedger`] serves one process.
//!
//! # A server, end to end
//! The browser here is webauthn-authenticator-rs's software passkey; in a web
//! application the options go to the page as JSON, and the page posts back the JSON
//! of the credential ([`parse_registration_response`],
//! [`parse_authentication_response`]).
//!
//! ```
//! # fn block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     use std::task::{Context, Poll, Waker};
//! #     let mut f = std::pin::pin!(f);
//! #     loop {
//! #         if let Poll::Ready(v) = f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
//! #             return v;
//! #         }
//! #     }
//! # }
//! # block_on(async {
//! use std::sync::Arc;
//! use tessera_otp::{ManualClock, UnixTime};
//! use tessera_registry::{DeviceRegistry, InMemoryDeviceStore, Keyring, RegistryConfig, UserId};
//! use tessera_webauthn::{
//!     InMemoryCeremonyLedger, InMemoryCredentialIndex, RelyingParty, security_keys,
//! };
//! use webauthn_authenticator_rs::{WebauthnAuthenticator, softpasskey::SoftPasskey};
//!
//! let clock = ManualClock::new(UnixTime::from_secs(1_700_000_000));
//! let keyring = Arc::new(Keyring::ephemeral()?);
//! let registry = DeviceRegistry::new(
//!     InMemoryDeviceStore::new(), clock.clone(), RegistryConfig::new("Example")?, keyring.clone(),
//! );
//! let rp = RelyingParty::builder("example.com", "https://login.example.com")
//!     .name("Example")
//!     .build(keyring, clock, InMemoryCeremonyLedger::new(), InMemoryCredentialIndex::new())?;
//! let ana = UserId::new("ana");
//! let origin = "https://login.example.com".parse()?;
//! let mut browser = SoftPasskey::new(true);
//!
//! // Registration (after the facade's step-up: binding a factor is sensitive).
//! let existing = security_keys(&registry, &ana).await?;
//! let (options, state) = rp.start_registration(&ana, "ana@example.com", "Ana", &existing)?;
//! let response = browser.do_registration(origin, options).map_err(|e| format!("{e:?}"))?;
//! let key = rp.finish_registration(&registry, &ana, state, &response, "Blue key").await?;
//!
//! // Sign-in's second factor (through the facade's throttle in a real server).
//! let keys = security_keys(&registry, &ana).await?;
//! let (options, state) = rp.start_authentication(&ana, &keys)?;
//! let origin = "https://login.example.com".parse()?;
//! let response = browser.do_authentication(origin, options).map_err(|e| format!("{e:?}"))?;
//! let used = rp.finish_authentication(&registry, &ana, state, response).await?;
//! assert_eq!(used.device_id, key.device_id);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })
//! # .map_err(|e| e.to_string())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # With the facade
//! The `tessera` facade counts every attempt in its throttle before anything is
//! checked. It calls [`RelyingParty::open_authentication`] (opens, checks expiry,
//! records the ceremony) and then `Accounts::finish_with_security_key(challenge,
//! &relying_party, &opened)`; after a refusal [`OpenedAssertion::refusal`] tells a
//! possible clone apart for the audit log.
//!
//! # Passwordless sign-in (an organisation's option)
//! With [`RelyingPartyBuilder::passwordless`] (which needs
//! [`UserVerification::Required`]), registrations ask for discoverable credentials and
//! [`RelyingParty::start_passkey_sign_in`] offers the site's passkeys in the browser's
//! autofill; [`RelyingParty::identify_passkey_sign_in`] finds the account from the
//! credential id ([`CredentialIndex::owner`]) and checks the user handle, and the
//! assertion is then checked like any other (counted in that account's throttle
//! first, by the facade). [`RelyingParty::finish_passkey_sign_in`] does both.
//!
//! # Organisation policy
//! [`RelyingPartyBuilder::allow_aaguids`] and [`RelyingPartyBuilder::attestation_roots`]
//! restrict registration to known authenticator models; [`MinimumCredential`] and
//! [`KeyClass`] say which devices meet an organisation's minimum ("a security key is
//! required", kanidm's minimum credential type).
//!
//! # Removal
//! [`RelyingParty::remove_device`] removes through the registry and releases the key's
//! credential id in the [`CredentialIndex`]; removing with the registry alone leaves the
//! id claimed by the user (harmless for them, but no other account can register it).
//!
//! # Left out, and why
//! - **Discoverable credentials with a real resident-key authenticator in tests.**
//!   Neither software authenticator of webauthn-authenticator-rs stores resident keys
//!   or returns a user handle, so the passwordless tests name the credential for the
//!   soft passkey and set the (unsigned) user handle as a passkey provider would.
//! - **FIDO Metadata Service.** Attestation roots are configured, not downloaded.
//! - **The `appid` extension** (keys registered under a legacy U2F AppID) and
//!   **enterprise attestation**.
//!
//! # Crate features
//! - `testing`: `testing::run_index_conformance`, the rules every
//!   [`CredentialIndex`] implementation must keep.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod authentication;
mod ceremony;
mod config;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod index;
mod passwordless;
mod policy;
mod registration;
mod relying_party;
mod response;
#[cfg(feature = "testing")]
pub mod testing;

pub use authentication::{KeyUsed, OpenedAssertion};
pub use ceremony::{
    AuthenticationCeremony, CeremonyId, CeremonyLedger, InMemoryCeremonyLedger,
    PasskeySignInCeremony, RegistrationCeremony,
};
pub use config::{
    DEFAULT_TIMEOUT, MAX_AAGUIDS, MAX_ORIGINS, MAX_TIMEOUT, MIN_TIMEOUT, UserVerification,
};
pub use error::{Error, Refusal};
#[doc(hidden)]
pub use fuzzing::fuzz_responses;
pub use index::{Claim, CredentialIndex, InMemoryCredentialIndex};
pub use policy::{KeyClass, MinimumCredential};
pub use registration::RegisteredKey;
pub use relying_party::{MAX_USER_NAME_LEN, RelyingParty, RelyingPartyBuilder, security_keys};
pub use response::{MAX_RESPONSE_LEN, parse_authentication_response, parse_registration_response};
/// webauthn-rs's types that this crate's API takes and returns (options for the
/// browser, its responses, attestation roots), re-exported so one dependency is enough.
pub use webauthn_rs::prelude::{
    AttestationCaList, AttestationCaListBuilder, CreationChallengeResponse, PublicKeyCredential,
    RegisterPublicKeyCredential, RequestChallengeResponse, Url, Uuid,
};
