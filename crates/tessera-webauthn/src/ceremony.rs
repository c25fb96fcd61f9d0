//! Ceremony state: handed to the caller by value, sealed, single use, short lived.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::str::FromStr;
use std::sync::{Mutex, PoisonError};

use tessera_keyring::{Binding, Keyring, MAX_SEALED_LEN, Sealed};
use tessera_otp::UnixTime;
use tessera_registry::{StoreError, UserId};

use crate::{Error, UserVerification};

/// A ceremony's random id: what a [`CeremonyLedger`] records so that each ceremony is
/// finished at most once.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CeremonyId([u8; 16]);

impl CeremonyId {
    /// A fresh random id from the operating system's generator.
    pub(crate) fn random() -> Result<Self, Error> {
        use rand::TryRng;
        let mut id = [0u8; 16];
        rand::rngs::SysRng
            .try_fill_bytes(&mut id)
            .map_err(|_| Error::Seal(tessera_keyring::Error::Randomness))?;
        Ok(Self(id))
    }

    /// The id's bytes, for a store's key column.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl fmt::Display for CeremonyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for CeremonyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CeremonyId({self})")
    }
}

/// Which webauthn-rs state a ceremony carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Flavor {
    SecurityKey,
    Passkey,
    AttestedPasskey,
    /// A passwordless sign-in: no user known at the start.
    Discoverable,
}

/// What is sealed: the webauthn-rs state and what binds it.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct Payload {
    pub(crate) id: [u8; 16],
    pub(crate) expires_at: u64,
    pub(crate) flavor: Flavor,
    pub(crate) policy: UserVerification,
    /// webauthn-rs's state as JSON, without what this crate re-inserts at the finish
    /// (the credentials, the attestation roots), so the sealed text stays short.
    pub(crate) state: serde_json::Value,
}

impl Payload {
    pub(crate) const fn id(&self) -> CeremonyId {
        CeremonyId(self.id)
    }

    pub(crate) const fn expires_at(&self) -> UnixTime {
        UnixTime::from_secs(self.expires_at)
    }
}

pub(crate) const REGISTRATION: &str = "tessera-webauthn/registration-state";
pub(crate) const AUTHENTICATION: &str = "tessera-webauthn/authentication-state";
pub(crate) const PASSKEY_SIGN_IN: &str = "tessera-webauthn/passkey-sign-in-state";

/// Seals `payload` for `purpose`, `rp_id` and `user`.
pub(crate) fn seal(
    keyring: &Keyring,
    purpose: &str,
    rp_id: &str,
    user: &UserId,
    payload: &Payload,
) -> Result<Sealed, Error> {
    let json = serde_json::to_vec(payload)
        .map_err(|_| Error::InvalidConfig("the ceremony state does not serialise"))?;
    let binding = Binding::new(purpose)
        .owner(rp_id.as_bytes())
        .owner(user.as_str().as_bytes());
    let sealed = keyring.seal(&binding, &json).map_err(Error::Seal)?;
    // The text must parse back; a state beyond the keyring's bound would not.
    if sealed.to_string().len() > MAX_SEALED_LEN {
        return Err(Error::InvalidConfig(
            "the ceremony state is too large to seal",
        ));
    }
    Ok(sealed)
}

/// Opens a sealed payload; every failure is [`Error::InvalidState`].
pub(crate) fn open(
    keyring: &Keyring,
    purpose: &str,
    rp_id: &str,
    user: &UserId,
    sealed: &Sealed,
) -> Result<Payload, Error> {
    let binding = Binding::new(purpose)
        .owner(rp_id.as_bytes())
        .owner(user.as_str().as_bytes());
    let json = keyring
        .open(&binding, sealed)
        .map_err(|_| Error::InvalidState)?;
    serde_json::from_slice(&json).map_err(|_| Error::InvalidState)
}

macro_rules! ceremony {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// It is sealed with the keyring (AES-256-GCM, bound to its purpose, the relying
        /// party id and the user), so it can travel through the client or any shared
        /// store: nobody without the keyring can read it or change it, and another
        /// user's or relying party's state does not open. It expires
        /// ([`RelyingPartyBuilder::timeout`](crate::RelyingPartyBuilder::timeout)) and
        /// the finish records its id in the [`CeremonyLedger`], so it finishes at most
        /// once. Its text form is the sealed value's (`tsk1.<key id>.<nonce>.<ciphertext>`).
        #[must_use = "keep the ceremony state (in the session or a hidden form field) and pass it to the finish"]
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $name(pub(crate) Sealed);

        impl $name {
            /// Reads the text form back.
            ///
            /// # Errors
            /// [`Error::InvalidState`] for text that is not a sealed value.
            pub fn parse(text: &str) -> Result<Self, Error> {
                Sealed::parse(text).map(Self).map_err(|_| Error::InvalidState)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(text: &str) -> Result<Self, Error> {
                Self::parse(text)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                self.0.serialize(s)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Sealed::deserialize(d).map(Self)
            }
        }
    };
}

ceremony! {
    /// A registration in progress: pass it to
    /// [`RelyingParty::finish_registration`](crate::RelyingParty::finish_registration).
    RegistrationCeremony
}

ceremony! {
    /// An authentication (second factor or step-up) in progress: pass it to
    /// [`RelyingParty::finish_authentication`](crate::RelyingParty::finish_authentication)
    /// or [`RelyingParty::open_authentication`](crate::RelyingParty::open_authentication).
    AuthenticationCeremony
}

ceremony! {
    /// A passwordless passkey sign-in in progress (no user known yet): pass it to
    /// [`RelyingParty::finish_passkey_sign_in`](crate::RelyingParty::finish_passkey_sign_in)
    /// or [`RelyingParty::identify_passkey_sign_in`](crate::RelyingParty::identify_passkey_sign_in).
    PasskeySignInCeremony
}

/// Records finished ceremonies so that each finishes at most once, across instances.
///
/// A finish records the ceremony's id *before* it checks the response, so a refused
/// response also uses the ceremony up: a client gets one try per challenge. An
/// implementation keeps each id until its `expires_at` (after that the state is refused
/// as expired anyway) and must answer `true` exactly once per id, also under concurrent
/// calls: SQL `INSERT … ON CONFLICT DO NOTHING` and the affected-row count, Redis
/// `SET NX PX`.
pub trait CeremonyLedger: Send + Sync {
    /// Records `id`; `true` when it was not recorded before.
    ///
    /// # Errors
    /// [`StoreError::Backend`] when the backend failed; the finish is then refused.
    fn consume(
        &self,
        id: CeremonyId,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// A [`CeremonyLedger`] in memory: for tests, examples and a single instance.
#[derive(Debug, Default)]
pub struct InMemoryCeremonyLedger {
    used: Mutex<HashMap<CeremonyId, UnixTime>>,
}

impl InMemoryCeremonyLedger {
    /// An empty ledger.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// How many ids it holds (expired ones are dropped on the next consume).
    #[must_use]
    pub fn len(&self) -> usize {
        self.used
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether it holds no id.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl CeremonyLedger for InMemoryCeremonyLedger {
    async fn consume(
        &self,
        id: CeremonyId,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<bool, StoreError> {
        // A panic elsewhere while holding the lock leaves the map consistent (every
        // change is one insert or retain), so a poisoned lock is still usable.
        let mut used = self.used.lock().unwrap_or_else(PoisonError::into_inner);
        used.retain(|_, until| *until > now);
        Ok(used.insert(id, expires_at).is_none())
    }
}

impl<L: CeremonyLedger> CeremonyLedger for std::sync::Arc<L> {
    fn consume(
        &self,
        id: CeremonyId,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        (**self).consume(id, expires_at, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_store::testing::block_on;

    #[test]
    fn a_ledger_answers_true_once_per_id_and_forgets_expired_ids() {
        let ledger = InMemoryCeremonyLedger::new();
        let (a, b) = (CeremonyId([1; 16]), CeremonyId([2; 16]));
        let t = |s| UnixTime::from_secs(s);
        assert!(block_on(ledger.consume(a, t(100), t(10))).unwrap());
        assert!(!block_on(ledger.consume(a, t(100), t(20))).unwrap());
        assert!(block_on(ledger.consume(b, t(50), t(20))).unwrap());
        assert_eq!(ledger.len(), 2);
        // At 60 b has expired and is dropped; a is still held.
        assert!(!block_on(ledger.consume(a, t(100), t(60))).unwrap());
        assert_eq!(ledger.len(), 1);
        assert!(!ledger.is_empty());
        // An id is held until the instant it expires, not at it: at 100 `a` is gone and
        // a new `b` is the only one held.
        assert!(block_on(ledger.consume(b, t(200), t(100))).unwrap());
        assert_eq!(ledger.len(), 1);
        assert!(InMemoryCeremonyLedger::new().is_empty());
    }

    #[test]
    fn a_ceremony_id_shows_as_32_hex_digits() {
        let id = CeremonyId([0xa5; 16]);
        assert_eq!(id.to_string(), "a5".repeat(16));
        assert_eq!(
            format!("{id:?}"),
            format!("CeremonyId({})", "a5".repeat(16))
        );
        assert_eq!(id.as_bytes(), &[0xa5; 16]);
    }

    /// The sealed text must parse back, so a state whose sealed text would pass the
    /// keyring's bound is refused when sealed: accepted at exactly 4,096 characters,
    /// refused beyond.
    #[test]
    fn a_state_is_sealed_up_to_the_keyrings_bound_and_refused_beyond() {
        let ring = Keyring::ephemeral().unwrap();
        let ana = UserId::new("ana");
        let payload = |n: usize| Payload {
            id: [7; 16],
            expires_at: 100,
            flavor: Flavor::SecurityKey,
            policy: UserVerification::Preferred,
            state: serde_json::json!({ "x": "a".repeat(n) }),
        };
        let length = |n: usize| {
            let json = serde_json::to_vec(&payload(n)).unwrap();
            let binding = Binding::new(REGISTRATION)
                .owner(b"example.com")
                .owner(b"ana");
            ring.seal(&binding, &json).unwrap().to_string().len()
        };
        let exact = (2_000..3_200)
            .find(|&n| length(n) == MAX_SEALED_LEN)
            .expect("some state seals to exactly the bound");
        let sealed = seal(&ring, REGISTRATION, "example.com", &ana, &payload(exact)).unwrap();
        assert_eq!(sealed.to_string().len(), MAX_SEALED_LEN);
        assert!(Sealed::parse(&sealed.to_string()).is_ok());
        assert!(length(exact + 1) > MAX_SEALED_LEN);
        assert!(matches!(
            seal(
                &ring,
                REGISTRATION,
                "example.com",
                &ana,
                &payload(exact + 1)
            ),
            Err(Error::InvalidConfig(_))
        ));
    }

    #[test]
    fn payloads_open_only_for_their_purpose_relying_party_and_user() {
        let ring = Keyring::ephemeral().unwrap();
        let ana = UserId::new("ana");
        let payload = Payload {
            id: [7; 16],
            expires_at: 100,
            flavor: Flavor::SecurityKey,
            policy: UserVerification::Preferred,
            state: serde_json::json!({"x": 1}),
        };
        let sealed = seal(&ring, REGISTRATION, "example.com", &ana, &payload).unwrap();
        let opened = open(&ring, REGISTRATION, "example.com", &ana, &sealed).unwrap();
        assert_eq!(opened.id(), CeremonyId([7; 16]));
        assert_eq!(opened.state, payload.state);
        for (purpose, rp, user) in [
            (AUTHENTICATION, "example.com", "ana"),
            (REGISTRATION, "example.org", "ana"),
            (REGISTRATION, "example.com", "bo"),
        ] {
            let refused = open(&ring, purpose, rp, &UserId::new(user), &sealed);
            assert!(matches!(refused, Err(Error::InvalidState)));
        }
        let text = RegistrationCeremony(sealed).to_string();
        assert!(RegistrationCeremony::parse(&text).is_ok());
        assert!(matches!(
            RegistrationCeremony::parse("not sealed"),
            Err(Error::InvalidState)
        ));
    }
}
