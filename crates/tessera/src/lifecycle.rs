//! An account's life beyond sign-in: a forgotten password reset by email (never around
//! MFA), temporary passwords an administrator issues, and an administrator's MFA reset
//! for a holder who lost every factor.
//!
//! # Password reset ("forgot password")
//! 1. [`start_password_reset`](Accounts::start_password_reset) with the username sends
//!    a single-use code to the account's email address through the [`CodeDelivery`](tessera_mfa::CodeDelivery),
//!    stored as a keyed hash, within the send limits per account and per address, and
//!    living 15 minutes by default (at most an hour,
//!    [`ChallengeConfig::with_reset_ttl`](tessera_mfa::ChallengeConfig::with_reset_ttl)).
//!    The answer is the same [`PasswordReset`] whether the account exists or not, and
//!    whether the code went out or not (a send limit, a locked account, a failing
//!    provider): the reason goes to the audit events.
//! 2. [`verify_password_reset`](Accounts::verify_password_reset) with the code (counted
//!    in the account's throttle, succeeding once under any number of concurrent calls):
//!    with MFA off the person may choose a new password ([`ResetStep::NewPassword`]);
//!    with MFA on a second factor comes first ([`ResetStep::SecondFactor`], ASVS 5.0
//!    6.4.3: a reset never bypasses MFA), by any method but email (the code just proved
//!    the inbox), recovery codes included, finished with
//!    [`finish_reset_second_factor`](Accounts::finish_reset_second_factor).
//! 3. [`finish_password_reset`](Accounts::finish_password_reset) stores the new password
//!    under a new security stamp (every session ends), forgets remembered devices, asks
//!    the [`SessionRevoker`] to delete the sessions and tells the
//!    holder. A [`ResetSession`] is good for one password.
//!
//! # Temporary passwords
//! [`issue_temporary_password`](Accounts::issue_temporary_password): a named
//! administrator, with a reason, gives an account a generated password (20 characters,
//! 100 bits) that works for 24 hours by default
//! ([`AccountsBuilder::temporary_password_ttl`](crate::AccountsBuilder::temporary_password_ttl)).
//! Signing in with it gives [`SignIn::PasswordChangeRequired`], which admits only
//! [`finish_required_password_change`](Accounts::finish_required_password_change); the
//! sign-in then goes on (a second factor when MFA is on).
//!
//! # Lost every factor
//! [`admin_reset_mfa`](Accounts::admin_reset_mfa): a named administrator, with a reason,
//! removes the account's devices, voids its recovery codes, unlinks its phone number,
//! forgets its remembered devices, ends its sessions and tells the holder; the next
//! sign-in must set up a second factor before anything else. Deciding that the person is
//! who they claim (re-proofing, ASVS 5.0 6.4.4) stays the application's: the audit
//! event records who decided and why.

use std::time::Duration;

use tessera_mfa::{Actor, ChallengeId, MfaMethod, MfaStore, Notified, Purpose, SignInPlan};
use tessera_otp::{Clock, UnixTime};
use tessera_password::Password;
use tessera_registry::{AssertionVerifier, DeviceStore, UserId};

use crate::account::{clean_text, random_letters};
use crate::accounts::SECOND_FACTOR_TTL;
use crate::audit::{self, Reason};
use crate::{
    AccountStore, Accounts, Error, PasswordChangeSession, Result, SecondFactorChallenge,
    SecurityStamp, SessionRevoker, SignIn,
};

/// How long a temporary password works unless configured otherwise (24 hours).
pub const DEFAULT_TEMPORARY_PASSWORD_TTL: Duration = Duration::from_secs(24 * 3600);
/// Shortest lifetime of a temporary password (10 minutes).
pub const MIN_TEMPORARY_PASSWORD_TTL: Duration = Duration::from_secs(10 * 60);
/// Longest lifetime of a temporary password (7 days).
pub const MAX_TEMPORARY_PASSWORD_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// Characters of a generated temporary password: 20 of a 32-letter alphabet, 100 bits.
pub const TEMPORARY_PASSWORD_LEN: usize = 20;
/// Longest administrator identifier, in characters.
pub const MAX_ADMIN_ID_LEN: usize = 128;
/// Longest reason an administrator gives, in characters.
pub const MAX_ADMIN_REASON_LEN: usize = 500;

/// Letters and digits that cannot be mistaken for one another when read aloud or
/// copied by hand (no 0/O, 1/l/I, 8/B).
const TEMPORARY_ALPHABET: &[u8; 32] = b"abcdefghjkmnpqrstuvwxyz2345679AC";

/// An administrator acting on an account, and why: both go to the audit events and the
/// administrator's identifier to the holder's notice. The application decides who may
/// act; the library records who did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminAction {
    admin: String,
    reason: String,
}

impl AdminAction {
    /// An action by `admin` (the application's identifier for them) for `reason`.
    ///
    /// # Errors
    /// [`Error::InvalidAdminAction`] for an empty or over-long identifier
    /// ([`MAX_ADMIN_ID_LEN`]) or reason ([`MAX_ADMIN_REASON_LEN`]), or either with a
    /// control character (they go into logs and emails).
    pub fn new(admin: &str, reason: &str) -> Result<Self> {
        let admin = clean_text(admin, 1, MAX_ADMIN_ID_LEN).ok_or(Error::InvalidAdminAction(
            "the administrator must be named in 1 to 128 characters without control characters",
        ))?;
        let reason =
            clean_text(reason, 1, MAX_ADMIN_REASON_LEN).ok_or(Error::InvalidAdminAction(
                "the reason must be 1 to 500 characters without control characters",
            ))?;
        Ok(Self {
            admin: admin.to_owned(),
            reason: reason.to_owned(),
        })
    }

    /// The administrator's identifier.
    #[must_use]
    pub fn admin(&self) -> &str {
        &self.admin
    }

    /// Why they acted.
    #[must_use]
    pub fn reason(&self) -> &str {
        &self.reason
    }

    fn actor(&self) -> Actor {
        Actor::administrator(self.admin.clone())
    }
}

/// A password reset waiting for the emailed code: ceremony state for the server-side
/// session, passed by value to [`Accounts::verify_password_reset`]. It looks the same
/// whether an account has the username or not (then no code was sent and none will
/// verify).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "session-state",
    derive(serde::Serialize, serde::Deserialize)
)]
#[cfg_attr(feature = "session-state", serde(deny_unknown_fields))]
#[must_use = "ceremony state: keep it in the server-side session for the code's step"]
pub struct PasswordReset {
    /// Named so that no other state's serialized form reads as this one.
    reset_of: UserId,
    challenge: ChallengeId,
    expires_at: UnixTime,
}

impl PasswordReset {
    /// When the code stops working.
    #[must_use]
    pub fn expires_at(&self) -> UnixTime {
        self.expires_at
    }
}

/// What a verified reset code leads to.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[must_use = "ceremony state: keep it in the server-side session for the next step"]
pub enum ResetStep {
    /// MFA is off: choose the new password with [`Accounts::finish_password_reset`].
    NewPassword(ResetSession),
    /// MFA is on: a second factor first (any offered method; email is not offered),
    /// started with [`Accounts::start_second_factor`] and finished with
    /// [`Accounts::finish_reset_second_factor`].
    SecondFactor(SecondFactorChallenge),
}

/// A reset that proved the inbox (and the second factor, with MFA on): it admits one new
/// password, within ten minutes, while the account's security stamp is unchanged. Keep it
/// in the server-side session; it is trusted as read.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "session-state",
    derive(serde::Serialize, serde::Deserialize)
)]
#[cfg_attr(feature = "session-state", serde(deny_unknown_fields))]
#[must_use = "keep the reset session in the server-side session for the new password"]
pub struct ResetSession {
    /// Named so that no other state's serialized form reads as this one.
    resetting: UserId,
    stamp: SecurityStamp,
    expires_at: UnixTime,
    second_factor: Option<MfaMethod>,
}

impl ResetSession {
    /// The account whose password is being reset.
    #[must_use]
    pub fn account(&self) -> &UserId {
        &self.resetting
    }

    /// The second factor that was verified, with MFA on.
    #[must_use]
    pub fn second_factor(&self) -> Option<MfaMethod> {
        self.second_factor
    }

    /// From this instant on the session can no longer be used.
    #[must_use]
    pub fn expires_at(&self) -> UnixTime {
        self.expires_at
    }
}

/// What a completed password reset did besides storing the password.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PasswordResetDone {
    /// Remembered devices forgotten.
    pub remembered_devices_revoked: usize,
    /// Sessions the [`SessionRevoker`] deleted; `None` when it
    /// failed (they ended with the security stamp anyway).
    pub sessions_deleted: Option<usize>,
}

/// What an administrator's MFA reset did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MfaReset {
    /// Devices removed from the registry.
    pub devices_removed: usize,
    /// Sessions the [`SessionRevoker`] deleted; `None` when it
    /// failed (they ended with the security stamp anyway).
    pub sessions_deleted: Option<usize>,
}

impl<A: AccountStore, D: DeviceStore, M: MfaStore, C: Clock> Accounts<A, D, M, C> {
    /// Starts a password reset for `username`: emails a code to the account's address
    /// (see the [module docs](crate::lifecycle)).
    ///
    /// The answer is the same for a username nobody has, an identity-provider account,
    /// and an account whose code could not be sent (send limit, lockout, delivery
    /// failure): a [`PasswordReset`] that no code verifies. The reason goes to the
    /// audit events (`password_reset_requested`, `password_reset_not_sent`). The
    /// request takes longer when a message is sent: queue the delivery (an outbox) when
    /// response times must not tell either.
    ///
    /// # Errors
    /// Store errors looking the username up (the same for every username);
    /// [`Error::Randomness`].
    pub async fn start_password_reset(&self, username: &str) -> Result<PasswordReset> {
        let now = self.now();
        let (found, bucket) = self.find_typed(username).await;
        let Some(account) = found?.filter(|a| !a.is_federated()) else {
            audit::failed("password_reset_not_sent", None, Reason::UnknownAccount);
            return self.decoy_reset(bucket, now);
        };
        let sent = match self.context(&account).await {
            Ok(ctx) => self
                .mfa
                .send_code(
                    &ctx,
                    MfaMethod::Email,
                    Purpose::PasswordReset,
                    &self.delivery,
                )
                .await
                .map_err(Error::from),
            Err(e) => Err(e),
        };
        match sent {
            Ok(ticket) => {
                audit::succeeded("password_reset_requested", &account.id);
                Ok(PasswordReset {
                    reset_of: account.id,
                    challenge: ticket.id,
                    expires_at: ticket.expires_at,
                })
            }
            Err(e) => {
                audit::failed(
                    "password_reset_not_sent",
                    Some(&account.id),
                    Reason::of_send(&e),
                );
                self.decoy_reset(account.id, now)
            }
        }
    }

    /// A reset no code verifies, shaped like a real one.
    fn decoy_reset(&self, user: UserId, now: UnixTime) -> Result<PasswordReset> {
        Ok(PasswordReset {
            reset_of: user,
            challenge: ChallengeId::generate()?,
            expires_at: now.saturating_add(self.reset_ttl),
        })
    }

    /// Checks the emailed reset code. Counted in the account's throttle; a wrong,
    /// expired, used or decoy code is the opaque [`Error::VerificationFailed`]; a right
    /// one succeeds once, also when raced. With MFA on the next step is a second factor
    /// by any method but email.
    ///
    /// # Errors
    /// [`Error::VerificationFailed`]; [`Error::NoSecondFactorForReset`] when MFA is on
    /// and email is the account's only second factor (an administrator resets its MFA);
    /// store errors.
    pub async fn verify_password_reset(
        &self,
        reset: PasswordReset,
        code: &str,
    ) -> Result<ResetStep> {
        let user = &reset.reset_of;
        let now = self.now();
        if now >= reset.expires_at {
            audit::failed("password_reset_failed", Some(user), Reason::Expired);
            return Err(Error::VerificationFailed);
        }
        let verified = self
            .mfa
            .verify_code(user, &reset.challenge, code)
            .await
            .map_err(|e| {
                audit::failed("password_reset_failed", Some(user), Reason::of_code(&e));
                Error::VerificationFailed
            })?
            .into_value();
        if verified.purpose != Purpose::PasswordReset || verified.method != MfaMethod::Email {
            audit::failed(
                "password_reset_failed",
                Some(user),
                Reason::WrongSecondFactor,
            );
            return Err(Error::VerificationFailed);
        }
        let account = self.load(user).await?.value;
        let ctx = self.context(&account).await?;
        match self.mfa.sign_in_plan(&ctx).await? {
            SignInPlan::SecondFactor { primary, available } => {
                let available: Vec<MfaMethod> = available
                    .into_iter()
                    .filter(|m| *m != MfaMethod::Email)
                    .collect();
                if available.is_empty() {
                    audit::failed("password_reset_failed", Some(user), Reason::NoSecondFactor);
                    return Err(Error::NoSecondFactorForReset);
                }
                let primary = primary.filter(|m| *m != MfaMethod::Email).or_else(|| {
                    available
                        .iter()
                        .copied()
                        .find(|m| *m != MfaMethod::RecoveryCode)
                });
                audit::succeeded("password_reset_code_verified", user);
                Ok(ResetStep::SecondFactor(SecondFactorChallenge::open(
                    Purpose::PasswordReset,
                    &account,
                    Vec::new(),
                    now,
                    (primary, available),
                    now,
                )))
            }
            _ => {
                audit::succeeded("password_reset_code_verified", user);
                Ok(ResetStep::NewPassword(ResetSession {
                    resetting: account.id,
                    stamp: account.stamp,
                    expires_at: now.saturating_add(SECOND_FACTOR_TTL),
                    second_factor: None,
                }))
            }
        }
    }

    /// Finishes a reset's second factor with what the person typed (an authenticator
    /// or hardware token code, an SMS code, a recovery code), as
    /// [`finish_second_factor`](Self::finish_second_factor) does for a sign-in.
    ///
    /// # Errors
    /// [`Error::VerificationFailed`] (also for a sign-in's or step-up's challenge);
    /// [`Error::NoMethodChosen`].
    pub async fn finish_reset_second_factor(
        &self,
        challenge: &SecondFactorChallenge,
        typed: &str,
    ) -> Result<ResetSession> {
        if challenge.purpose != Purpose::PasswordReset {
            return Err(Error::VerificationFailed);
        }
        let (method, _device) = self.check_second_factor(challenge, typed).await?;
        self.reset_session(challenge, method).await
    }

    /// Finishes a reset's second factor with a security-key assertion, as
    /// [`finish_with_security_key`](Self::finish_with_security_key) does for a sign-in.
    ///
    /// # Errors
    /// [`Error::VerificationFailed`]; [`Error::MethodNotOffered`].
    pub async fn finish_reset_with_security_key<V: AssertionVerifier>(
        &self,
        challenge: &SecondFactorChallenge,
        verifier: &V,
        assertion: &V::Assertion,
    ) -> Result<ResetSession> {
        if challenge.purpose != Purpose::PasswordReset {
            return Err(Error::VerificationFailed);
        }
        self.check_security_key(challenge, verifier, assertion)
            .await?;
        self.reset_session(challenge, MfaMethod::SecurityKey).await
    }

    async fn reset_session(
        &self,
        challenge: &SecondFactorChallenge,
        method: MfaMethod,
    ) -> Result<ResetSession> {
        let user = &challenge.account;
        let stamp = self.load(user).await.map(|v| v.value.stamp).map_err(|_| {
            audit::failed("password_reset_failed", Some(user), Reason::StoreFailure);
            Error::VerificationFailed
        })?;
        if stamp != challenge.stamp {
            audit::failed("password_reset_failed", Some(user), Reason::StaleAccount);
            return Err(Error::VerificationFailed);
        }
        Ok(ResetSession {
            resetting: user.clone(),
            stamp,
            expires_at: self.now().saturating_add(SECOND_FACTOR_TTL),
            second_factor: Some(method),
        })
    }

    /// Sets the new password of a reset: checked against the policy (with MFA on, the
    /// length beside a second factor), the confirmation and the history; stored with a
    /// new security stamp in one conditional save (after the remembered devices are
    /// forgotten), so a session is used once however many requests race; then the
    /// session store is asked to delete the account's sessions and the holder told. A temporary
    /// password or a lockout's counters are not touched by anything else.
    ///
    /// # Errors
    /// [`Error::VerificationFailed`] once the session expired; [`Error::SessionRevoked`]
    /// when it was used or the account changed since (start again);
    /// [`Error::PasswordRejected`]; store errors (the password is then unchanged).
    pub async fn finish_password_reset(
        &self,
        session: ResetSession,
        new: &Password,
        confirmation: &Password,
    ) -> Result<Notified<PasswordResetDone>> {
        let user = &session.resetting;
        let account = self
            .session_account(
                user,
                session.expires_at,
                session.stamp,
                "password_reset_failed",
            )
            .await?;
        let mfa_on = self.mfa.settings(user).await?.enabled();
        if mfa_on && session.second_factor.is_none() {
            // MFA was turned on after the code was checked: start again.
            audit::failed("password_reset_failed", Some(user), Reason::NoSecondFactor);
            return Err(Error::SessionRevoked);
        }
        let use_ = crate::password_flows::password_use(mfa_on);
        // As a password change: checked, remembered devices forgotten, then stored. A
        // failure to forget them leaves the old password in place (and the reset
        // session usable again), never a new password beside still-trusted devices.
        let hash = self
            .checked_new_hash(&account, use_, new, confirmation)
            .await?;
        let remembered_devices_revoked = self
            .forget_remembered_devices(&account, Actor::AccountHolder)
            .await?;
        let long_enough = self
            .policy
            .meets_min_length(new, tessera_password::PasswordUse::OnlyFactor);
        self.store_new_hash(&account, hash, long_enough).await?;
        audit::succeeded("password_reset", user);
        let sessions_deleted = self.sessions.revoke_all(user).await.ok();
        let notify_error = self
            .tell_password_changed(&account, Actor::AccountHolder)
            .await;
        Ok(Notified {
            value: PasswordResetDone {
                remembered_devices_revoked,
                sessions_deleted,
            },
            notify_error,
        })
    }

    /// An administrator gives `account` a generated temporary password (see the
    /// [module docs](crate::lifecycle)): the old password stops working, every session
    /// ends, remembered devices are forgotten and the holder is told. Hand the password
    /// to the person by a channel the application trusts; it is shown once.
    ///
    /// # Errors
    /// [`Error::AccountNotFound`]; [`Error::ManagedByIdentityProvider`];
    /// [`Error::Randomness`]; store errors (nothing changed).
    pub async fn issue_temporary_password(
        &self,
        action: &AdminAction,
        account: &UserId,
    ) -> Result<Notified<Password>> {
        let loaded = self.load(account).await?.value;
        if let Some(provider) = &loaded.identity_provider {
            return Err(Error::ManagedByIdentityProvider {
                provider: provider.clone(),
            });
        }
        let temporary = generate_temporary_password()?;
        let hash = self.hash_password(&temporary).await?;
        let now = self.now();
        let until = now.saturating_add(self.temporary_password_ttl);
        let keep = self.policy.history();
        // Forgotten first: if that fails, no temporary password was set that nobody got.
        self.forget_remembered_devices(&loaded, action.actor())
            .await?;
        self.update_account(account, |a| {
            a.history.push(hash.clone(), keep)?;
            a.password_hash = Some(hash.clone());
            a.password_changed_at = Some(now);
            a.password_long_enough_alone = false;
            a.lifecycle.temporary_password_expires_at = Some(until);
            a.stamp = a.stamp.next();
            Ok(())
        })
        .await?;
        audit::admin_action("temporary_password_issued", account, action);
        let _ = self.sessions.revoke_all(account).await;
        let notify_error = self.tell_password_changed(&loaded, action.actor()).await;
        Ok(Notified {
            value: temporary,
            notify_error,
        })
    }

    /// Replaces a temporary password (after [`SignIn::PasswordChangeRequired`]) and goes
    /// on with the sign-in: [`SignIn::SecondFactor`] when MFA is on,
    /// [`SignIn::EnrolmentRequired`] when one must be set up, else
    /// [`SignIn::Complete`]. The new password is checked as any new one (the policy,
    /// the confirmation, not the temporary one itself).
    ///
    /// # Errors
    /// [`Error::VerificationFailed`] once the session or the temporary password expired;
    /// [`Error::SessionRevoked`] when the account changed since the sign-in;
    /// [`Error::PasswordRejected`]; store errors.
    pub async fn finish_required_password_change(
        &self,
        session: PasswordChangeSession,
        new: &Password,
        confirmation: &Password,
    ) -> Result<SignIn> {
        let user = &session.changing;
        let now = self.now();
        let account = self
            .session_account(
                user,
                session.expires_at,
                session.stamp,
                "password_change_failed",
            )
            .await?;
        match account.lifecycle.temporary_password_expires_at {
            Some(until) if now < until => {}
            Some(_) => {
                audit::failed(
                    "password_change_failed",
                    Some(user),
                    Reason::TemporaryPasswordExpired,
                );
                return Err(Error::VerificationFailed);
            }
            None => return Err(Error::SessionRevoked),
        }
        let use_ = self.password_use(user).await?;
        self.set_new_password(&account, use_, new, confirmation)
            .await?;
        audit::succeeded("password_changed", user);
        // A notice that could not be sent is audited there; the sign-in goes on.
        let _ = self
            .tell_password_changed(&account, Actor::AccountHolder)
            .await;
        let current = self.load(user).await?.value;
        self.after_password(&current, now, None, None).await
    }

    /// An administrator resets the MFA of an account whose holder lost every factor
    /// (see the [module docs](crate::lifecycle)). Every session ends first (the security
    /// stamp moves on together with the owed enrolment), then the devices go, then the
    /// MFA state (recovery codes, phone number, remembered devices), then the holder is
    /// told. Run again after a failure: each step is idempotent.
    ///
    /// # Errors
    /// [`Error::AccountNotFound`]; [`Error::ManagedByIdentityProvider`]; store errors.
    pub async fn admin_reset_mfa(
        &self,
        action: &AdminAction,
        account: &UserId,
    ) -> Result<Notified<MfaReset>> {
        let loaded = self.load(account).await?.value;
        if let Some(provider) = &loaded.identity_provider {
            return Err(Error::ManagedByIdentityProvider {
                provider: provider.clone(),
            });
        }
        self.update_account(account, |a| {
            a.stamp = a.stamp.next();
            a.lifecycle.enrolment_required = true;
            Ok(())
        })
        .await?;
        let mut devices_removed = 0;
        for device in self.registry.list(account).await? {
            match self.registry.remove(account, device.id).await {
                Ok(_) => devices_removed += 1,
                Err(tessera_registry::Error::DeviceNotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let n = self
            .mfa
            .reset_by_administrator(&loaded, action.actor())
            .await?;
        audit::admin_action("mfa_reset", account, action);
        let sessions_deleted = self.sessions.revoke_all(account).await.ok();
        Ok(Notified {
            value: MfaReset {
                devices_removed,
                sessions_deleted,
            },
            notify_error: n.notify_error,
        })
    }

    /// The account of a reset or required-change session: refused once the session
    /// expired (audited as `event`) or its security stamp moved on.
    async fn session_account(
        &self,
        user: &UserId,
        expires_at: UnixTime,
        stamp: SecurityStamp,
        event: &'static str,
    ) -> Result<crate::Account> {
        if self.now() >= expires_at {
            audit::failed(event, Some(user), Reason::Expired);
            return Err(Error::VerificationFailed);
        }
        let account = self.load(user).await?.value;
        if account.stamp != stamp {
            return Err(Error::SessionRevoked);
        }
        Ok(account)
    }

    /// Clears the enrolment an MFA reset left owed, once MFA is on again.
    pub(crate) async fn enrolment_done(&self, user: &UserId) -> Result<()> {
        if !self.load(user).await?.value.lifecycle.enrolment_required {
            return Ok(());
        }
        self.update_account(user, |a| {
            a.lifecycle.enrolment_required = false;
            Ok(())
        })
        .await?;
        Ok(())
    }
}

/// A temporary password: [`TEMPORARY_PASSWORD_LEN`] characters of an unambiguous
/// 32-letter alphabet from the operating system's generator.
fn generate_temporary_password() -> Result<Password> {
    let text = random_letters::<TEMPORARY_PASSWORD_LEN>("", TEMPORARY_ALPHABET)?;
    Ok(Password::new(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_passwords_use_the_whole_alphabet_without_look_alikes() {
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..200 {
            let p = generate_temporary_password().unwrap();
            assert_eq!(p.expose().chars().count(), TEMPORARY_PASSWORD_LEN);
            seen.extend(p.expose().chars());
        }
        assert_eq!(seen.len(), 32, "{seen:?}");
        for confusable in ['0', 'O', '1', 'l', 'I', '8', 'B'] {
            assert!(!seen.contains(&confusable), "{confusable}");
        }
    }

    proptest::proptest! {
        /// Any text is judged without panicking; what passes is trimmed, within bounds
        /// and free of control characters.
        #[test]
        fn admin_actions_never_panic(admin in "\\PC{0,140}", reason in "(\\PC|\n){0,520}") {
            if let Ok(a) = AdminAction::new(&admin, &reason) {
                proptest::prop_assert_eq!(a.admin(), admin.trim());
                proptest::prop_assert_eq!(a.reason(), reason.trim());
                proptest::prop_assert!(!a.reason().chars().any(char::is_control));
                proptest::prop_assert!(a.admin().chars().count() <= MAX_ADMIN_ID_LEN);
            }
        }
    }

    #[test]
    fn admin_actions_are_named_and_explained() {
        let a = AdminAction::new("  root ", " lost phone ").unwrap();
        assert_eq!((a.admin(), a.reason()), ("root", "lost phone"));
        for (admin, reason) in [
            ("", "why"),
            ("root", ""),
            ("ro\not", "why"),
            ("root", "line\nbreak"),
        ] {
            assert!(matches!(
                AdminAction::new(admin, reason),
                Err(Error::InvalidAdminAction(_))
            ));
        }
        assert!(AdminAction::new(&"a".repeat(MAX_ADMIN_ID_LEN), "r").is_ok());
        assert!(AdminAction::new(&"a".repeat(MAX_ADMIN_ID_LEN + 1), "r").is_err());
        assert!(AdminAction::new("a", &"r".repeat(MAX_ADMIN_REASON_LEN)).is_ok());
        assert!(AdminAction::new("a", &"r".repeat(MAX_ADMIN_REASON_LEN + 1)).is_err());
    }
}
