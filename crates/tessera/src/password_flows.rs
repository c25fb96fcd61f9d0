//! Creating accounts and changing passwords.

use tessera_mfa::{Actor, EmailAddress, MfaStore, Notified, NotifyError};
use tessera_otp::Clock;
use tessera_password::{Password, PasswordHistory, PasswordUse};
use tessera_registry::{DeviceStore, UserId};

use crate::account::new_account_id;
use crate::accounts::SAVE_ATTEMPTS;
use crate::audit::{self, Reason};
use crate::{
    Account, AccountStore, Accounts, Assurance, Error, Offload, Result, SecurityStamp,
    SessionRevoker, canonical_username,
};

/// What a password change did besides storing the new hash.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PasswordChange {
    /// The session's assurance under the account's new security stamp: every other
    /// session ended with the change; keep this one in place of the old.
    pub assurance: Assurance,
    /// Remembered devices forgotten (a password change always forgets them).
    pub remembered_devices_revoked: usize,
}

/// What "sign out everywhere" did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignedOutEverywhere {
    /// The session's assurance under the account's new security stamp.
    pub assurance: Assurance,
    /// Remembered devices forgotten.
    pub remembered_devices_revoked: usize,
    /// Sessions the [`SessionRevoker`] deleted (they had ended with the stamp already);
    /// `None` when it failed.
    pub sessions_deleted: Option<usize>,
}

/// How many times a consequence of a stored change (a notification, forgetting
/// remembered devices) is retried before the caller is told it did not happen.
const CONSEQUENCE_ATTEMPTS: u32 = 3;

impl<A: AccountStore, D: DeviceStore, M: MfaStore, C: Clock> Accounts<A, D, M, C> {
    /// Creates an account with a password, after checking it against the password
    /// policy (with the username and email as context words).
    ///
    /// # Errors
    /// [`Error::InvalidUsername`]; [`Error::Mfa`] with `InvalidEmail`;
    /// [`Error::PasswordRejected`] with **every** broken rule; [`Error::UsernameTaken`];
    /// [`Error::Password`], store errors.
    pub async fn create_account(
        &self,
        username: &str,
        email: &str,
        password: &Password,
    ) -> Result<Account> {
        let mut account = self.new_account(username, email, None)?;
        let context = Self::password_context(&account);
        // A new account has no second factor yet, unless the organisation requires one.
        let use_ = if self.mfa.policy().requires_mfa(&account.id) {
            PasswordUse::WithSecondFactor
        } else {
            PasswordUse::OnlyFactor
        };
        self.policy
            .for_use(use_)
            .validate(password, &context)
            .map_err(Error::PasswordRejected)?;
        account.password_long_enough_alone = self
            .policy
            .meets_min_length(password, PasswordUse::OnlyFactor);
        // Cheap check first, so a taken name costs no hash; `create` decides for real.
        if self
            .accounts
            .find_by_username(&account.username)
            .await?
            .is_some()
        {
            return Err(Error::UsernameTaken);
        }
        let hash = self.hash_password(password).await?;
        account.history.push(hash.clone(), self.policy.history())?;
        account.password_hash = Some(hash);
        self.accounts.create(&account).await?;
        Ok(account)
    }

    /// Creates an account that signs in through an identity provider: no password, and
    /// MFA is the provider's business (the MFA rules refuse changes here).
    ///
    /// # Errors
    /// As [`create_account`](Self::create_account), without the password errors.
    pub async fn create_federated_account(
        &self,
        username: &str,
        email: &str,
        provider: &str,
    ) -> Result<Account> {
        let account = self.new_account(username, email, Some(provider.to_owned()))?;
        self.accounts.create(&account).await?;
        Ok(account)
    }

    fn new_account(&self, username: &str, email: &str, idp: Option<String>) -> Result<Account> {
        Ok(Account {
            id: new_account_id()?,
            username: canonical_username(username)?,
            email: EmailAddress::parse(email)?,
            password_hash: None,
            history: PasswordHistory::new(),
            identity_provider: idp,
            created_at: self.now(),
            password_changed_at: None,
            stamp: crate::SecurityStamp::INITIAL,
            password_long_enough_alone: false,
            lifecycle: crate::AccountLifecycle::default(),
        })
    }

    /// Changes the password of the signed-in account, as a Credentials page does:
    ///
    /// 1. the current password must be right (counted in the account's failure
    ///    throttle before it is checked; a wrong one is [`Error::VerificationFailed`]);
    /// 2. the new one must pass the policy (15 characters while the password is the
    ///    only factor, 8 beside MFA, by default), match its confirmation, differ from
    ///    the current one and, when the policy keeps a history, from the recent ones
    ///    ([`Error::PasswordRejected`] lists every problem);
    /// 3. remembered devices are forgotten (first: if that fails, nothing else
    ///    happens, and forgetting them was the safe side);
    /// 4. the new hash is stored together with a new security stamp, in one
    ///    conditional save: every other session and every sign-in still in flight with
    ///    the old password ends at that instant ([`check_session`](Self::check_session));
    /// 5. the account holder is told ("password changed"), retried; a notification that
    ///    still fails comes back in [`Notified::notify_error`] with the change made.
    ///
    /// Returns the session's new assurance: keep it in place of the old one.
    ///
    /// # Errors
    /// As above; [`Error::SessionRevoked`]; [`Error::ManagedByIdentityProvider`];
    /// [`Error::Conflict`] when the password changed concurrently; store errors (the
    /// password is then unchanged).
    pub async fn change_password(
        &self,
        assurance: &Assurance,
        current: &Password,
        new: &Password,
        confirmation: &Password,
    ) -> Result<Notified<PasswordChange>> {
        let account = self.authorize(assurance).await?;
        let user = &assurance.account;
        if let Some(provider) = &account.identity_provider {
            return Err(Error::ManagedByIdentityProvider {
                provider: provider.clone(),
            });
        }
        self.confirm_current_password(&account, current).await?;

        let use_ = self.password_use(user).await?;
        let hash = self
            .checked_new_hash(&account, use_, new, confirmation)
            .await?;
        let remembered_devices_revoked = self
            .forget_remembered_devices(&account, Actor::AccountHolder)
            .await?;
        let long_enough = self.policy.meets_min_length(new, PasswordUse::OnlyFactor);
        let stamp = self.store_new_hash(&account, hash, long_enough).await?;
        audit::succeeded("password_changed", user);
        let notify_error = self
            .tell_password_changed(&account, Actor::AccountHolder)
            .await;
        Ok(Notified {
            value: PasswordChange {
                assurance: Assurance {
                    stamp,
                    ..assurance.clone()
                },
                remembered_devices_revoked,
            },
            notify_error,
        })
    }

    /// Ends every session of the account, this one included, and forgets its
    /// remembered devices ("Force Logout"): the security stamp moves on, so every kept
    /// [`Assurance`] stops passing [`check_session`](Self::check_session), whatever the
    /// session store; the [`SessionRevoker`] is then asked to delete them too (best
    /// effort). Returns the assurance this session continues with.
    ///
    /// # Errors
    /// [`Error::SessionRevoked`]; store errors (nothing changed when the stamp could not
    /// be saved).
    pub async fn sign_out_everywhere(
        &self,
        assurance: &Assurance,
    ) -> Result<Notified<SignedOutEverywhere>> {
        let account = self.authorize(assurance).await?;
        let user = &assurance.account;
        let stamp = self.bump_stamp(user).await?;
        audit::succeeded("signed_out_everywhere", user);
        let n = self
            .mfa
            .revoke_all_remembered_devices(&account, Actor::AccountHolder)
            .await?;
        let (remembered, notify_error) = (n.value, n.notify_error);
        let sessions_deleted = self.sessions.revoke_all(user).await.ok();
        Ok(Notified {
            value: SignedOutEverywhere {
                assurance: Assurance {
                    stamp,
                    ..assurance.clone()
                },
                remembered_devices_revoked: remembered,
                sessions_deleted,
            },
            notify_error,
        })
    }

    /// Confirms the password of a signed-in person again (before binding a factor while
    /// MFA is off, which needs a password at most 20 minutes old): returns the
    /// assurance with a fresh password time. Counted in the throttle like a sign-in.
    ///
    /// # Errors
    /// [`Error::VerificationFailed`]; [`Error::SessionRevoked`];
    /// [`Error::ManagedByIdentityProvider`].
    pub async fn confirm_password(
        &self,
        assurance: &Assurance,
        password: &Password,
    ) -> Result<Assurance> {
        let account = self.authorize(assurance).await?;
        if let Some(provider) = &account.identity_provider {
            return Err(Error::ManagedByIdentityProvider {
                provider: provider.clone(),
            });
        }
        self.confirm_current_password(&account, password).await?;
        let mut renewed = assurance.clone();
        renewed.authenticated_at = self.now();
        if !renewed.factors.contains(&crate::Factor::Password) {
            renewed.factors.insert(0, crate::Factor::Password);
        }
        Ok(renewed)
    }

    /// What the account's password is: the only factor, or one beside MFA.
    pub(crate) async fn password_use(&self, user: &UserId) -> Result<PasswordUse> {
        Ok(password_use(self.mfa.settings(user).await?.enabled()))
    }

    /// Checks the account's current password inside the throttle: the attempt is
    /// counted first, and a right password takes its count back (it is not a completed
    /// sign-in, so nothing resets).
    pub(crate) async fn confirm_current_password(
        &self,
        account: &Account,
        password: &Password,
    ) -> Result<()> {
        let user = &account.id;
        let attempt = self.counted_attempt(user, "password_check_failed").await?;
        match self
            .password_matches(password, account.password_hash.as_deref())
            .await
        {
            Ok(true) => {
                let _ = self.mfa.attempt_passed(attempt).await;
                Ok(())
            }
            Ok(false) => {
                audit::failed("password_check_failed", Some(user), Reason::WrongPassword);
                Err(Error::VerificationFailed)
            }
            Err(Reason::Busy) => {
                // Nothing was checked: not the person's failure.
                let _ = self.mfa.attempt_passed(attempt).await;
                audit::failed("password_check_failed", Some(user), Reason::Busy);
                Err(Error::Busy)
            }
            Err(reason) => {
                audit::failed("password_check_failed", Some(user), reason);
                Err(Error::VerificationFailed)
            }
        }
    }

    /// Validates a new password for `use_` (against the current one and the history)
    /// and hashes it.
    pub(crate) async fn checked_new_hash(
        &self,
        account: &Account,
        use_: PasswordUse,
        new: &Password,
        confirmation: &Password,
    ) -> Result<String> {
        let (policy, hasher) = (self.policy.for_use(use_), self.hasher.clone());
        let (new_pw, confirm) = (new.clone(), confirmation.clone());
        let context = Self::password_context(account);
        let history = history_with_current(account);
        self.offload
            .run(move || policy.validate_change(&new_pw, &confirm, &context, &history, &hasher))
            .await
            .map_err(Error::from)?
            .map_err(Error::PasswordRejected)?;
        self.hash_password(new).await
    }

    /// Checks `new` for `use_` (policy, confirmation, history) and stores it under a new
    /// security stamp, if the account is still as `account` was loaded.
    pub(crate) async fn set_new_password(
        &self,
        account: &Account,
        use_: PasswordUse,
        new: &Password,
        confirmation: &Password,
    ) -> Result<SecurityStamp> {
        let hash = self
            .checked_new_hash(account, use_, new, confirmation)
            .await?;
        let long_enough = self.policy.meets_min_length(new, PasswordUse::OnlyFactor);
        self.store_new_hash(account, hash, long_enough).await
    }

    /// Forgets every remembered device (the event names `actor`), retried; fails only
    /// when every try failed.
    pub(crate) async fn forget_remembered_devices(
        &self,
        account: &Account,
        actor: Actor,
    ) -> Result<usize> {
        let mut last = None;
        for _ in 0..CONSEQUENCE_ATTEMPTS {
            match self
                .mfa
                .revoke_all_remembered_devices(account, actor.clone())
                .await
            {
                Ok(n) => return Ok(n.value),
                Err(e) => last = Some(e),
            }
        }
        Err(last.map_or(Error::Conflict, Error::from))
    }

    /// Tells the account holder the password changed (by `actor`), retried; the error
    /// of the last try when none went through, also audited.
    pub(crate) async fn tell_password_changed(
        &self,
        account: &Account,
        actor: Actor,
    ) -> Option<NotifyError> {
        let mut last = None;
        for _ in 0..CONSEQUENCE_ATTEMPTS {
            match self.mfa.password_changed(account, actor.clone()).await {
                Ok(n) => match n.notify_error {
                    None => return None,
                    Some(e) => last = Some(e),
                },
                Err(e) => last = Some(NotifyError(format!("the notification was not sent: {e}"))),
            }
        }
        if let Some(e) = &last {
            audit::notify_failed(&account.id, e);
        }
        last
    }

    /// Stores `hash` as the current password with a new security stamp, if the password
    /// did not change since `seen` was loaded; other concurrent changes are merged by
    /// reloading. Returns the new stamp.
    pub(crate) async fn store_new_hash(
        &self,
        seen: &Account,
        hash: String,
        long_enough_alone: bool,
    ) -> Result<SecurityStamp> {
        let now = self.now();
        let keep = self.policy.history();
        let stored = self
            .update_account(&seen.id, |account| {
                // Every session that began before `seen` ended with a later stamp.
                if account.stamp != seen.stamp {
                    return Err(Error::SessionRevoked);
                }
                if account.password_hash != seen.password_hash {
                    return Err(Error::Conflict);
                }
                account.history.push(hash.clone(), keep)?;
                account.password_hash = Some(hash.clone());
                account.password_changed_at = Some(now);
                account.password_long_enough_alone = long_enough_alone;
                // Whatever set it, a new password is the holder's own.
                account.lifecycle.temporary_password_expires_at = None;
                account.stamp = account.stamp.next();
                Ok(())
            })
            .await?;
        Ok(stored.stamp)
    }

    /// Moves the account's security stamp on, ending every session made under the old
    /// one. Returns the new stamp.
    pub(crate) async fn bump_stamp(&self, user: &UserId) -> Result<SecurityStamp> {
        let stored = self
            .update_account(user, |account| {
                account.stamp = account.stamp.next();
                Ok(())
            })
            .await?;
        Ok(stored.stamp)
    }

    /// Load → change → save-if-unchanged on the account, reloaded on a conflict a few
    /// times; returns what was stored.
    pub(crate) async fn update_account(
        &self,
        id: &UserId,
        mut change: impl FnMut(&mut Account) -> Result<()> + Send,
    ) -> Result<Account> {
        for _ in 0..SAVE_ATTEMPTS {
            let mut account = self.load(id).await?;
            change(&mut account.value)?;
            match self.accounts.save(&account).await {
                Ok(_) => return Ok(account.value),
                Err(crate::StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Conflict)
    }
}

/// The history to check a new password against, always with the current hash first, so
/// that "changing" to the current password is refused whatever history the policy keeps.
fn history_with_current(account: &Account) -> PasswordHistory {
    let stored = account.history.hashes();
    match account.password_hash.as_deref() {
        Some(current) if stored.first().map(String::as_str) != Some(current) => {
            let all = std::iter::once(current).chain(stored.iter().map(String::as_str));
            PasswordHistory::from_hashes(all).unwrap_or_else(|_| account.history.clone())
        }
        _ => account.history.clone(),
    }
}

/// The password's use with MFA on or off.
pub(crate) fn password_use(mfa_on: bool) -> PasswordUse {
    if mfa_on {
        PasswordUse::WithSecondFactor
    } else {
        PasswordUse::OnlyFactor
    }
}
