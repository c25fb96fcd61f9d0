//! The crate's one error type, and why a WebAuthn response was refused.

use tessera_registry::{DeviceId, StoreError};
use webauthn_rs::prelude::WebauthnError;

/// Why a relying-party configuration, a ceremony or a browser's response was refused.
///
/// Messages are lowercase and never carry a challenge, a key or the response itself.
/// On the sign-in path all of these are one failure to the person signing in (the
/// facade answers "verification failed"); the variants are for logs and audit events.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The relying party's configuration is invalid (says which setting).
    #[error("invalid relying party configuration: {0}")]
    InvalidConfig(&'static str),
    /// The browser's response is not a WebAuthn response (malformed JSON, too long).
    #[error("malformed webauthn response: {0}")]
    MalformedResponse(&'static str),
    /// The ceremony state does not open: changed, started for another user, another
    /// relying party or another kind of ceremony, or sealed by a key this instance
    /// does not hold.
    #[error("the ceremony state is not valid here")]
    InvalidState,
    /// The ceremony's lifetime has passed: start again.
    #[error("the ceremony has expired")]
    Expired,
    /// The ceremony was already finished (or attempted) once: each is single use.
    #[error("the ceremony was already used")]
    AlreadyUsed,
    /// The response did not verify; [`Refusal`] says which check failed, for logs.
    #[error("the webauthn response was refused")]
    Refused(Refusal),
    /// The key's signature counter did not grow: two copies of the key may exist
    /// (WebAuthn Level 3, §6.1.1). Refused, and worth an audit event and a message to
    /// the account holder.
    #[error("the security key's signature counter did not grow: the key may be cloned")]
    PossibleClone {
        /// The registry's device for the key, when it could be found.
        device_id: Option<DeviceId>,
    },
    /// The authenticator is not one the organisation allows (its AAGUID is not on the
    /// allow-list, or its attestation does not chain to an allowed root).
    #[error("this authenticator model is not allowed")]
    AuthenticatorNotAllowed,
    /// The credential id is already registered, to this account or another.
    #[error("this security key is already registered")]
    CredentialInUse,
    /// The registry refused (too many devices, a duplicate name, the store failed).
    #[error(transparent)]
    Registry(#[from] tessera_registry::Error),
    /// The credential index or the ceremony ledger failed.
    #[error("the credential index or ceremony ledger failed")]
    Store(#[source] StoreError),
    /// The keyring could not seal the ceremony state (the system's generator failed).
    #[error("the ceremony state could not be sealed")]
    Seal(#[source] tessera_keyring::Error),
}

/// Which check a WebAuthn response failed: for logs and tests, never for the person
/// signing in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Refusal {
    /// The client data's origin is not an allowed origin.
    Origin,
    /// The authenticator data is for another relying party id.
    RelyingPartyId,
    /// The client data's challenge is not this ceremony's.
    Challenge,
    /// The client data is not for this kind of ceremony, or does not parse.
    ClientData,
    /// The signature does not verify with the stored public key.
    Signature,
    /// User verification was required and the authenticator did not report it.
    UserVerification,
    /// The authenticator did not report user presence.
    UserPresence,
    /// The credential is not one of this user's active security keys.
    UnknownCredential,
    /// The attestation does not verify or is not trusted.
    Attestation,
    /// The credential's algorithm, key or flags are not acceptable.
    Credential,
    /// Anything else webauthn-rs refused.
    Other,
}

impl Refusal {
    /// The check webauthn-rs's error names.
    pub(crate) fn from_webauthn(e: &WebauthnError) -> Self {
        use WebauthnError as W;
        match e {
            W::InvalidRPOrigin | W::CredentialCrossOrigin => Self::Origin,
            W::InvalidRPIDHash => Self::RelyingPartyId,
            W::MismatchedChallenge | W::ChallengeNotFound => Self::Challenge,
            W::InvalidClientDataType | W::ParseJSONFailure(_) | W::ParseCBORFailure(_) => {
                Self::ClientData
            }
            W::AuthenticationFailure | W::SignatureInvalid => Self::Signature,
            W::UserNotVerified => Self::UserVerification,
            W::UserNotPresent => Self::UserPresence,
            W::CredentialNotFound => Self::UnknownCredential,
            W::AttestationTrustFailure
            | W::AttestationNotVerifiable
            | W::AttestationUntrustedAaguid
            | W::AttestationChainNotTrusted(_)
            | W::AttestationCertificateAAGUIDMismatch
            | W::AttestationCertificateTrustStoreEmpty
            | W::AttestationStatementSigInvalid
            | W::AttestationNotSupported
            | W::MissingAttestationCredentialData => Self::Attestation,
            W::CredentialAlteredAlgFromRequest
            | W::CredentialInsecureCryptography
            | W::CredentialMayNotBeHardwareBound
            | W::CredentialBackupEligibilityInconsistent
            | W::CredentialExcludedFromRequest
            | W::COSEKeyInvalidType
            | W::COSEKeyInvalidAlgorithm => Self::Credential,
            _ => Self::Other,
        }
    }
}

impl Error {
    /// A refusal for what webauthn-rs said; an untrusted attestation is
    /// [`Error::AuthenticatorNotAllowed`].
    pub(crate) fn from_webauthn(e: &WebauthnError) -> Self {
        match e {
            WebauthnError::AttestationUntrustedAaguid
            | WebauthnError::AttestationChainNotTrusted(_)
            | WebauthnError::AttestationTrustFailure
            | WebauthnError::AttestationNotVerifiable => Self::AuthenticatorNotAllowed,
            WebauthnError::CredentialPossibleCompromise => Self::PossibleClone { device_id: None },
            other => Self::Refused(Refusal::from_webauthn(other)),
        }
    }

    /// Whether this is a refusal of the response itself (as opposed to the server's
    /// configuration, keys or stores failing).
    #[must_use]
    pub const fn is_refusal(&self) -> bool {
        matches!(
            self,
            Self::Refused(_)
                | Self::PossibleClone { .. }
                | Self::AuthenticatorNotAllowed
                | Self::CredentialInUse
                | Self::InvalidState
                | Self::Expired
                | Self::AlreadyUsed
                | Self::MalformedResponse(_)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every webauthn-rs error the audit names a check for, with the check.
    #[test]
    fn webauthn_errors_name_the_check_that_failed() {
        use WebauthnError as W;
        let table: Vec<(W, Refusal)> = vec![
            (W::InvalidRPOrigin, Refusal::Origin),
            (W::CredentialCrossOrigin, Refusal::Origin),
            (W::InvalidRPIDHash, Refusal::RelyingPartyId),
            (W::MismatchedChallenge, Refusal::Challenge),
            (W::ChallengeNotFound, Refusal::Challenge),
            (W::InvalidClientDataType, Refusal::ClientData),
            (
                W::ParseJSONFailure(serde_json::from_str::<u8>("x").unwrap_err()),
                Refusal::ClientData,
            ),
            (W::AuthenticationFailure, Refusal::Signature),
            (W::SignatureInvalid, Refusal::Signature),
            (W::UserNotVerified, Refusal::UserVerification),
            (W::UserNotPresent, Refusal::UserPresence),
            (W::CredentialNotFound, Refusal::UnknownCredential),
            (W::AttestationTrustFailure, Refusal::Attestation),
            (W::AttestationNotVerifiable, Refusal::Attestation),
            (W::AttestationUntrustedAaguid, Refusal::Attestation),
            (
                W::AttestationCertificateAAGUIDMismatch,
                Refusal::Attestation,
            ),
            (
                W::AttestationCertificateTrustStoreEmpty,
                Refusal::Attestation,
            ),
            (W::AttestationStatementSigInvalid, Refusal::Attestation),
            (W::AttestationNotSupported, Refusal::Attestation),
            (W::MissingAttestationCredentialData, Refusal::Attestation),
            (W::CredentialAlteredAlgFromRequest, Refusal::Credential),
            (W::CredentialInsecureCryptography, Refusal::Credential),
            (W::CredentialMayNotBeHardwareBound, Refusal::Credential),
            (
                W::CredentialBackupEligibilityInconsistent,
                Refusal::Credential,
            ),
            (W::CredentialExcludedFromRequest, Refusal::Credential),
            (W::COSEKeyInvalidType, Refusal::Credential),
            (W::COSEKeyInvalidAlgorithm, Refusal::Credential),
            (W::InvalidUsername, Refusal::Other),
        ];
        for (e, refusal) in &table {
            assert_eq!(Refusal::from_webauthn(e), *refusal, "{e:?}");
        }
        // An untrusted attestation is the organisation's allow-list, not a bad response;
        // a counter that did not grow is a possible clone.
        for e in [
            W::AttestationUntrustedAaguid,
            W::AttestationTrustFailure,
            W::AttestationNotVerifiable,
        ] {
            assert!(matches!(
                Error::from_webauthn(&e),
                Error::AuthenticatorNotAllowed
            ));
        }
        assert!(matches!(
            Error::from_webauthn(&W::CredentialPossibleCompromise),
            Error::PossibleClone { device_id: None }
        ));
        assert!(matches!(
            Error::from_webauthn(&W::AttestationStatementSigInvalid),
            Error::Refused(Refusal::Attestation)
        ));
    }

    /// A refusal is the response's fault; the server's configuration, keys and stores
    /// are not.
    #[test]
    fn refusals_are_the_responses_fault_only() {
        for e in [
            Error::Refused(Refusal::Signature),
            Error::PossibleClone { device_id: None },
            Error::AuthenticatorNotAllowed,
            Error::CredentialInUse,
            Error::InvalidState,
            Error::Expired,
            Error::AlreadyUsed,
            Error::MalformedResponse("x"),
        ] {
            assert!(e.is_refusal(), "{e:?}");
        }
        for e in [
            Error::InvalidConfig("x"),
            Error::Registry(tessera_registry::Error::Conflict),
            Error::Store(StoreError::backend("down")),
        ] {
            assert!(!e.is_refusal(), "{e:?}");
        }
    }
}
