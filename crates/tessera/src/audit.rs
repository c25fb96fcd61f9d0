//! Audit events: every security decision the flows make, through `tracing`.
//!
//! The person on the other side of a sign-in sees one opaque failure; the reason goes
//! here, to whatever the service already collects (`tracing-subscriber`, OpenTelemetry,
//! journald). Events have the target [`AUDIT_TARGET`] and stable field names:
//!
//! | field | value |
//! | --- | --- |
//! | `event` | what happened: one of the names below |
//! | `account` | the account id, when one is known (never the username typed) |
//! | `reason` | why: for failures a [`Reason`] as `snake_case` text; for an administrator's action the reason they gave |
//! | `actor` | the administrator, for their actions |
//! | `kind`, `by` | for `security_event`: the [`SecurityEventKind`] and who caused it (`account_holder`, `administrator`, `system`) |
//! | `error` | for `notification_failed`: the notifier's message |
//!
//! No event holds a password, a code, a token, a tooling secret or a hash. Failures are
//! `WARN`, administrators' actions `WARN`, successes `INFO`, a lost notification `ERROR`.
//!
//! # The catalogue ([`CATALOGUE`])
//!
//! | event | level | when |
//! | --- | --- | --- |
//! | `signed_in` | info | a sign-in completed (password alone, or with its second factor) |
//! | `signed_in_remembered_device` | info | a remembered device skipped the second factor |
//! | `signed_in_enrolment_required` | info | the password was right; a second factor must be set up first |
//! | `signed_in_password_change_required` | info | a temporary password was right; only the change is admitted |
//! | `signed_in_identity_provider` | info | the application vouched for an identity provider's sign-in |
//! | `sign_in_failed` | warn | the password step failed, with the [`Reason`] |
//! | `second_factor_failed` | warn | a second factor failed, with the [`Reason`] |
//! | `stepped_up` | info | a step-up completed |
//! | `password_check_failed` | warn | a password confirmation failed |
//! | `password_changed` | info | the password changed (holder, or a temporary one replaced) |
//! | `password_change_failed` | warn | a required change came too late |
//! | `signed_out_everywhere` | info | every session ended |
//! | `password_reset_requested` | info | a reset code was sent |
//! | `password_reset_not_sent` | warn | a reset was asked for and nothing was sent (unknown account, limit, lockout, provider) |
//! | `password_reset_code_verified` | info | the emailed reset code was right |
//! | `password_reset_failed` | warn | a reset step failed, with the [`Reason`] |
//! | `password_reset` | info | a reset set a new password |
//! | `temporary_password_issued` | warn | an administrator issued a temporary password |
//! | `factor_bound` | info | a second factor was set up |
//! | `factor_setup_cancelled` | info | a pending set-up was cancelled |
//! | `factor_removed` | info / warn | a device was removed (warn with `actor` when an administrator did) |
//! | `mfa_enabled`, `mfa_disabled` | info | MFA turned on or off by the holder |
//! | `mfa_reset` | warn | an administrator reset the account's MFA |
//! | `unlocked` | warn | an administrator lifted a lockout |
//! | `possible_cloned_key` | warn | a security key's signature counter went back |
//! | `throttle_reset_failed` | warn | a completed sign-in could not reset the throttle |
//! | `tooling_credential_created`, `tooling_credential_revoked` | info / warn | a tooling credential came or went (warn with `actor` for an administrator) |
//! | `tool_signed_in` | info | a tool authenticated with a tooling credential |
//! | `tool_sign_in_failed` | warn | a tool's authentication failed, with the [`Reason`] |
//! | `factor_change_requested` | info | a holder asked for a change of factors |
//! | `factor_change_approved`, `factor_change_rejected` | warn | an administrator decided a request |
//! | `security_event` | info | every [`SecurityEventKind`] the holder is told of, with `kind` (lockouts, code reuse, recovery codes used, phone linked, …) |
//! | `notification_failed` | error | a notice to the holder could not be sent |

use tessera_mfa::{Actor, NotifyError, SecurityEvent, SecurityEventKind, SecurityNotifier};
use tessera_registry::UserId;

/// The `tracing` target of every audit event.
pub const AUDIT_TARGET: &str = "tessera::audit";

/// Every `event` name the flows emit (the table in the [module docs](self) says when).
pub const CATALOGUE: &[&str] = &[
    "signed_in",
    "signed_in_remembered_device",
    "signed_in_enrolment_required",
    "signed_in_password_change_required",
    "signed_in_identity_provider",
    "sign_in_failed",
    "second_factor_failed",
    "stepped_up",
    "password_check_failed",
    "password_changed",
    "password_change_failed",
    "signed_out_everywhere",
    "password_reset_requested",
    "password_reset_not_sent",
    "password_reset_code_verified",
    "password_reset_failed",
    "password_reset",
    "temporary_password_issued",
    "factor_bound",
    "factor_setup_cancelled",
    "factor_removed",
    "mfa_enabled",
    "mfa_disabled",
    "mfa_reset",
    "unlocked",
    "possible_cloned_key",
    "throttle_reset_failed",
    "tooling_credential_created",
    "tooling_credential_revoked",
    "tool_signed_in",
    "tool_sign_in_failed",
    "factor_change_requested",
    "factor_change_approved",
    "factor_change_rejected",
    "security_event",
    "notification_failed",
];

/// The stable `kind` of a security event.
#[must_use]
pub fn security_event_kind(kind: &SecurityEventKind) -> &'static str {
    use SecurityEventKind as K;
    match kind {
        K::MfaEnabled { .. } => "mfa_enabled",
        K::MfaDisabled => "mfa_disabled",
        K::PreferredMethodChanged { .. } => "preferred_method_changed",
        K::DeviceAdded { .. } => "device_added",
        K::DeviceRemoved { .. } => "device_removed",
        K::PhoneLinked => "phone_linked",
        K::PhoneUnlinked => "phone_unlinked",
        K::PasswordChanged => "password_changed",
        K::RecoveryCodesRegenerated { .. } => "recovery_codes_regenerated",
        K::RecoveryCodeUsed { .. } => "recovery_code_used",
        K::CodeReuseDetected { .. } => "code_reuse_detected",
        K::LockedOut { .. } => "locked_out",
        K::LockedPermanently => "locked_permanently",
        K::Unlocked { .. } => "unlocked",
        K::RememberedDevicesRevoked => "remembered_devices_revoked",
        K::MfaReset { .. } => "mfa_reset",
        K::ToolingCredentialAdded { .. } => "tooling_credential_added",
        K::ToolingCredentialRevoked { .. } => "tooling_credential_revoked",
        K::FactorChangeRequested { .. } => "factor_change_requested",
        K::FactorChangeDecided { .. } => "factor_change_decided",
        _ => "other",
    }
}

/// The application's notifier, with every event it is given also written as an
/// audit event (`security_event`): lockouts, code reuse and the other notices reach the
/// audit stream whatever the notifier does with them.
pub(crate) struct Audited<N>(pub(crate) N);

impl<N: SecurityNotifier> SecurityNotifier for Audited<N> {
    async fn notify(&self, event: &SecurityEvent) -> Result<(), NotifyError> {
        let (by, actor) = match &event.actor {
            Actor::AccountHolder => ("account_holder", None),
            Actor::Administrator { id } => ("administrator", Some(id.as_str())),
            _ => ("system", None),
        };
        tracing::info!(
            target: AUDIT_TARGET,
            event = "security_event",
            account = event.account.as_str(),
            kind = security_event_kind(&event.kind),
            by,
            actor,
        );
        self.0.notify(event).await
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `.rs` file of the crate's `src`, as text.
    fn sources() -> Vec<(String, String)> {
        fn walk(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    out.push((path.display().to_string(), text));
                }
            }
        }
        let mut out = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut out,
        );
        out
    }

    /// The first string literal after each `audit::failed(`, `succeeded(`,
    /// `administrator(` and `admin_action(` call.
    fn emitted(text: &str) -> Vec<String> {
        let mut names = Vec::new();
        for call in [
            "audit::failed(",
            "audit::succeeded(",
            "audit::administrator(",
            "audit::admin_action(",
        ] {
            for (at, _) in text.match_indices(call) {
                let rest = &text[at + call.len()..];
                let rest = rest.trim_start();
                if let Some(lit) = rest.strip_prefix('"') {
                    names.push(lit.split('"').next().unwrap().to_owned());
                }
            }
        }
        names
    }

    #[test]
    fn every_emitted_event_is_in_the_catalogue_and_the_docs() {
        let docs = include_str!("audit.rs");
        let mut seen = 0;
        for (path, text) in sources()
            .into_iter()
            .filter(|(p, _)| !p.ends_with("audit.rs"))
        {
            for name in emitted(&text) {
                seen += 1;
                assert!(CATALOGUE.contains(&name.as_str()), "{path}: {name}");
            }
        }
        assert!(seen >= 60, "{seen} audit calls found");
        for name in CATALOGUE {
            assert!(
                docs.contains(&format!("`{name}`")),
                "{name} is not in the table"
            );
            let used = sources().iter().any(|(path, text)| {
                !path.ends_with("audit.rs") && text.contains(&format!("\"{name}\""))
            }) || matches!(*name, "security_event" | "notification_failed");
            assert!(used, "{name} is catalogued but never emitted");
        }
        let mut sorted = CATALOGUE.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), CATALOGUE.len(), "a name is listed twice");
    }

    #[test]
    fn reasons_and_kinds_are_snake_case() {
        let snake =
            |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        for r in [
            Reason::UnknownAccount,
            Reason::TemporaryPasswordExpired,
            Reason::WrongKindOfSecret,
            Reason::NotSent,
            Reason::NoSecondFactor,
        ] {
            assert!(snake(r.as_str()), "{r:?}");
        }
    }

    /// Each refusal maps to the reason the audit table gives it: a lockout is
    /// `throttled`, a send limit or a failed provider `not_sent`, a lost race
    /// `contention`, a wrong code `wrong_second_factor`, anything else `store_failure`.
    #[test]
    fn refusals_map_to_their_reasons() {
        use std::time::Duration;
        use tessera_mfa::Error as M;
        let limit = M::SendLimitReached {
            retry_after: tessera_otp::UnixTime::from_secs(60),
            wait: Duration::from_secs(60),
        };
        let store = || M::Store(tessera_store::StoreError::backend("down"));
        let sends = [
            (crate::Error::VerificationFailed, Reason::Throttled),
            (crate::Error::Mfa(limit), Reason::NotSent),
            (
                crate::Error::Mfa(M::Delivery(tessera_mfa::DeliveryError::new("smtp"))),
                Reason::NotSent,
            ),
            (crate::Error::Mfa(M::Conflict), Reason::Contention),
            (crate::Error::Mfa(store()), Reason::StoreFailure),
            (crate::Error::SessionRevoked, Reason::StoreFailure),
        ];
        for (e, want) in &sends {
            assert_eq!(Reason::of_send(e), *want, "{e:?}");
        }
        let codes = [
            (M::VerificationFailed, Reason::WrongSecondFactor),
            (M::InvalidCode("digits"), Reason::WrongSecondFactor),
            (M::Conflict, Reason::Contention),
            (store(), Reason::StoreFailure),
        ];
        for (e, want) in &codes {
            assert_eq!(Reason::of_code(e), *want, "{e:?}");
        }
        let refusals = [
            (M::VerificationFailed, Reason::Throttled),
            (M::Conflict, Reason::Contention),
            (store(), Reason::StoreFailure),
        ];
        for (e, want) in &refusals {
            assert_eq!(Reason::of_refusal(e), *want, "{e:?}");
        }
    }

    /// Each kind has its own stable name, as the table above promises (a kind that fell
    /// through to `other` would hide a lockout or a new device from the audit stream).
    #[test]
    fn every_security_event_kind_has_its_own_name() {
        use SecurityEventKind as K;
        use tessera_mfa::MfaMethod;
        use tessera_otp::UnixTime;
        let app = MfaMethod::AuthenticatorApp;
        let kinds = [
            (K::MfaEnabled { preferred: app }, "mfa_enabled"),
            (K::MfaDisabled, "mfa_disabled"),
            (
                K::PreferredMethodChanged {
                    from: None,
                    to: Some(app),
                    fallback: false,
                },
                "preferred_method_changed",
            ),
            (K::DeviceAdded { method: app }, "device_added"),
            (K::DeviceRemoved { method: app }, "device_removed"),
            (K::PhoneLinked, "phone_linked"),
            (K::PhoneUnlinked, "phone_unlinked"),
            (K::PasswordChanged, "password_changed"),
            (
                K::RecoveryCodesRegenerated { count: 10 },
                "recovery_codes_regenerated",
            ),
            (K::RecoveryCodeUsed { remaining: 9 }, "recovery_code_used"),
            (K::CodeReuseDetected { method: app }, "code_reuse_detected"),
            (
                K::LockedOut {
                    until: UnixTime::from_secs(1),
                },
                "locked_out",
            ),
            (K::LockedPermanently, "locked_permanently"),
            (K::Unlocked { by: "x".into() }, "unlocked"),
            (K::RememberedDevicesRevoked, "remembered_devices_revoked"),
            (K::MfaReset { by: "x".into() }, "mfa_reset"),
            (
                K::ToolingCredentialAdded { name: "ci".into() },
                "tooling_credential_added",
            ),
            (
                K::ToolingCredentialRevoked { name: "ci".into() },
                "tooling_credential_revoked",
            ),
            (
                K::FactorChangeRequested { change: "c".into() },
                "factor_change_requested",
            ),
            (
                K::FactorChangeDecided {
                    change: "c".into(),
                    approved: true,
                },
                "factor_change_decided",
            ),
        ];
        for (kind, name) in &kinds {
            assert_eq!(security_event_kind(kind), *name, "{kind:?}");
        }
    }
}
