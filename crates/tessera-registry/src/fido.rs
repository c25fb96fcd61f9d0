//! Security keys: the assertion check the application supplies.

use tessera_otp::Rejected;

use crate::{KeyFlags, SecurityKey};

/// Checks a WebAuthn assertion against a stored security key: implemented by the
/// application, for example with `webauthn-rs`.
///
/// The registry finds the user's active key by the assertion's credential id, asks the
/// verifier to check the signature (over the challenge the application issued, the
/// origin and the flags it requires) and, on success, enforces the signature counter
/// and stores it. The application must make each challenge single-use: a key whose
/// counter stays at zero (some authenticators never count) is only protected against
/// replay by that.
pub trait AssertionVerifier: Send + Sync {
    /// The assertion as the application received it (e.g. webauthn-rs's
    /// `PublicKeyCredential` together with the challenge state).
    type Assertion: ?Sized + Sync;

    /// The credential id the assertion names.
    fn credential_id<'a>(&self, assertion: &'a Self::Assertion) -> &'a [u8];

    /// Verifies the assertion's signature with `key` and returns the signature counter
    /// from its authenticator data.
    ///
    /// # Errors
    /// [`Rejected`] for any failure: bad signature, wrong challenge, origin or flags.
    fn verify(&self, key: &SecurityKey, assertion: &Self::Assertion) -> Result<u32, Rejected>;

    /// [`verify`](Self::verify), also returning the flags the assertion's authenticator
    /// data carried, which the registry then stores with the key in the same write as
    /// the counter. The registry calls this one; the default keeps the stored flags.
    ///
    /// # Errors
    /// [`Rejected`], as for [`verify`](Self::verify).
    fn verify_with_flags(
        &self,
        key: &SecurityKey,
        assertion: &Self::Assertion,
    ) -> Result<(u32, Option<KeyFlags>), Rejected> {
        self.verify(key, assertion).map(|count| (count, None))
    }
}

/// Whether a counter from an assertion may follow the stored one (WebAuthn Level 2,
/// §6.1.1): it must grow, unless both are zero (an authenticator without a counter).
/// Anything else may be a cloned authenticator, and is refused.
pub(crate) fn counter_acceptable(stored: u32, new: u32) -> bool {
    (stored == 0 && new == 0) || new > stored
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_must_grow_unless_unsupported() {
        assert!(counter_acceptable(0, 0));
        assert!(counter_acceptable(0, 1));
        assert!(counter_acceptable(5, 6));
        assert!(!counter_acceptable(5, 5));
        assert!(!counter_acceptable(5, 4));
        assert!(!counter_acceptable(5, 0));
    }
}
