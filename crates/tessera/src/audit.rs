//! Audit events: every security decision the flows make, through `tracing`.
//!
//! The person on the other side of a sign-in sees one opaque failure; the reason goes
//! here, to whatever the service already collects (`tracing-subscriber`, OpenTelemetry,
//! journald). Events have the target [`AUDIT_TARGET`] and stable field names:
//!
//! | field | value |
//! | --- | --- |
//! | `event` | what happened, e.g. `sign_in_failed`, `second_factor_failed`, `locked_out` |
//! | `account` | the account id, when one is known (never the username typed) |
//! | `reason` | why, for failures: a [`Reason`] as `snake_case` text |
//! | `actor` | who acted, for administrator actions |
//!
//! No event holds a password, a code, a token or a hash.

use tessera_registry::UserId;

/// The `tracing` target of every audit event.
pub const AUDIT_TARGET: &str = "tessera::audit";

/// Why an authentication attempt failed, as the audit event says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// No account has the username (or it was not a valid username).
    UnknownAccount,
    /// The account signs in through an identity provider.
    IdentityProviderAccount,
    /// The password was wrong.
    WrongPassword,
    /// The password could not be checked (too long, a hash naming a retired pepper, a
    /// malformed stored hash, the offload failed).
    PasswordNotCheckable,
    /// Attempts must wait, or the account is locked.
    Throttled,
    /// A code could not be sent: a send limit, or the provider failed.
    NotSent,
    /// MFA is on and no second factor but the reset's own channel is left.
    NoSecondFactor,
    /// Too many concurrent writers to the account's throttle: refused without checking.
    Contention,
    /// A store failed: refused without checking.
    StoreFailure,
    /// The code or key did not verify (wrong, reused, expired, another device's).
    WrongSecondFactor,
    /// The account changed while the attempt was in flight (password changed, signed
    /// out everywhere).
    StaleAccount,
    /// The challenge had expired.
    Expired,
    /// A stored secret could not be opened (its key is not loaded, or the stored value
    /// was changed or moved): a server fault to alert on, not the person's.
    SealedSecret,
    /// Every permit of the [`Bounded`](crate::Bounded) offload was taken: nothing was
    /// checked and the attempt was taken back. A sign of load, not of the person.
    Busy,
    /// The password was a temporary one whose time ran out: an administrator issues a
    /// new one.
    TemporaryPasswordExpired,
    /// A tooling credential was presented where only a password is accepted, or the
    /// other way round.
    WrongKindOfSecret,
}

impl Reason {
    /// The text the audit event carries.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::UnknownAccount => "unknown_account",
            Self::IdentityProviderAccount => "identity_provider_account",
            Self::WrongPassword => "wrong_password",
            Self::PasswordNotCheckable => "password_not_checkable",
            Self::Throttled => "throttled",
            Self::NotSent => "not_sent",
            Self::NoSecondFactor => "no_second_factor",
            Self::Contention => "contention",
            Self::StoreFailure => "store_failure",
            Self::WrongSecondFactor => "wrong_second_factor",
            Self::StaleAccount => "stale_account",
            Self::Expired => "expired",
            Self::SealedSecret => "sealed_secret",
            Self::Busy => "busy",
            Self::TemporaryPasswordExpired => "temporary_password_expired",
            Self::WrongKindOfSecret => "wrong_kind_of_secret",
        }
    }

    /// The reason a code was not sent ([`Accounts::start_password_reset`](crate::Accounts::start_password_reset)).
    pub(crate) fn of_send(e: &crate::Error) -> Self {
        match e {
            crate::Error::VerificationFailed => Self::Throttled,
            crate::Error::Mfa(m) if m.retry_after().is_some() => Self::NotSent,
            crate::Error::Mfa(tessera_mfa::Error::Delivery(_)) => Self::NotSent,
            crate::Error::Mfa(tessera_mfa::Error::Conflict) => Self::Contention,
            _ => Self::StoreFailure,
        }
    }

    /// The reason a code check failed.
    pub(crate) fn of_code(e: &tessera_mfa::Error) -> Self {
        match e {
            tessera_mfa::Error::VerificationFailed | tessera_mfa::Error::InvalidCode(_) => {
                Self::WrongSecondFactor
            }
            tessera_mfa::Error::Conflict => Self::Contention,
            _ => Self::StoreFailure,
        }
    }

    /// The reason an MFA refusal of an attempt stands for.
    pub(crate) fn of_refusal(e: &tessera_mfa::Error) -> Self {
        match e {
            tessera_mfa::Error::VerificationFailed => Self::Throttled,
            tessera_mfa::Error::Conflict => Self::Contention,
            _ => Self::StoreFailure,
        }
    }
}

/// A failed step of a sign-in or step-up.
pub(crate) fn failed(event: &'static str, account: Option<&UserId>, reason: Reason) {
    tracing::warn!(
        target: AUDIT_TARGET,
        event,
        account = account.map(UserId::as_str),
        reason = reason.as_str(),
    );
}

/// A successful security decision (sign-in, step-up, a factor bound or removed).
pub(crate) fn succeeded(event: &'static str, account: &UserId) {
    tracing::info!(target: AUDIT_TARGET, event, account = account.as_str());
}

/// A notification that could not be sent at a moment that has no other way to report
/// it (a lockout reached during an attempt whose answer stays opaque).
pub(crate) fn notify_failed(account: &UserId, error: &tessera_mfa::NotifyError) {
    tracing::error!(
        target: AUDIT_TARGET,
        event = "notification_failed",
        account = account.as_str(),
        error = %error,
    );
}

/// A named administrator's action on an account, with the reason they gave.
pub(crate) fn admin_action(event: &'static str, account: &UserId, action: &crate::AdminAction) {
    tracing::warn!(
        target: AUDIT_TARGET,
        event,
        account = account.as_str(),
        actor = action.admin(),
        reason = action.reason(),
    );
}

/// An administrator's action on an account.
pub(crate) fn administrator(event: &'static str, account: &UserId, actor: &str) {
    tracing::warn!(
        target: AUDIT_TARGET,
        event,
        account = account.as_str(),
        actor,
    );
}
