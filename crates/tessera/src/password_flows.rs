//! Creating accounts and changing passwords.

use tessera_mfa::{
    Actor, CodeDelivery, EmailAddress, MfaStore, Notified, SecurityNotifier, Versioned,
};
use tessera_otp::Clock;
use tessera_password::{Password, PasswordHistory};
use tessera_registry::DeviceStore;

use crate::account::new_account_id;
use crate::accounts::{SAVE_ATTEMPTS, first};
use crate::{
    Account, AccountStore, Accounts, Assurance, Error, Offload, Result, SessionRevoker,
    canonical_username,
};

/// What a password change did besides storing the new hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PasswordChange {
    /// Sessions ended by "sign out everywhere" (0 without it).
    pub sessions_revoked: usize,
    /// Remembered devices forgotten (a password change always forgets them).
    pub remembered_devices_revoked: usize,
}

impl<A, D, M, N, Q, R, C, H> Accounts<A, D, M, N, Q, R, C, H>
where
    A: AccountStore,
    D: DeviceStore,
    M: MfaStore,
    N: SecurityNotifier,
    Q: CodeDelivery,
    R: SessionRevoker,
    C: Clock,
    H: Offload,
{
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
        self.policy
            .validate(password, &context)
            .map_err(Error::PasswordRejected)?;
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
        })
    }

    /// Changes the password of the signed-in account, as a Credentials page does:
    ///
    /// 1. the current password must be right (counted by the account's failure
    ///    throttle; a wrong one is [`Error::VerificationFailed`]);
    /// 2. the new one must pass the policy, match its confirmation and, when the policy
    ///    keeps a history, differ from the recent ones ([`Error::PasswordRejected`] lists
    ///    every problem);
    /// 3. the new hash is stored (with the history);
    /// 4. remembered devices are forgotten, and with `sign_out_everywhere` every session
    ///    of the account ends through the [`SessionRevoker`];
    /// 5. the account holder gets the "account information changed" notification.
    ///
    /// # Errors
    /// As above; [`Error::ManagedByIdentityProvider`]; [`Error::Conflict`] when the
    /// password changed concurrently; [`Error::Sessions`] when revoking sessions failed
    /// (the new password is stored by then); store errors.
    pub async fn change_password(
        &self,
        assurance: &Assurance,
        current: &Password,
        new: &Password,
        confirmation: &Password,
        sign_out_everywhere: bool,
    ) -> Result<Notified<PasswordChange>> {
        let user = &assurance.account;
        let Versioned { value: account, .. } = self.load(user).await?;
        if let Some(provider) = &account.identity_provider {
            return Err(Error::ManagedByIdentityProvider {
                provider: provider.clone(),
            });
        }
        self.mfa.second_factor_permitted(user).await?;
        if !self
            .verify_password(current, account.password_hash.as_deref())
            .await?
        {
            let _ = self.mfa.second_factor_failed(user).await?;
            return Err(Error::VerificationFailed);
        }

        let (policy, hasher) = (self.policy.clone(), self.hasher.clone());
        let (new_pw, confirm) = (new.clone(), confirmation.clone());
        let context = Self::password_context(&account);
        let history = history_with_current(&account);
        self.offload
            .run(move || policy.validate_change(&new_pw, &confirm, &context, &history, &hasher))
            .await
            .map_err(|_| Error::Offload)?
            .map_err(Error::PasswordRejected)?;
        let hash = self.hash_password(new).await?;
        self.store_new_hash(&account, hash).await?;

        let mut change = PasswordChange {
            sessions_revoked: 0,
            remembered_devices_revoked: 0,
        };
        let mut notify_error = None;
        if sign_out_everywhere {
            let n = self
                .mfa
                .revoke_all_remembered_devices(user, Actor::AccountHolder)
                .await?;
            change.remembered_devices_revoked = n.value;
            notify_error = n.notify_error;
        } else {
            change.remembered_devices_revoked = self.mfa.remembered_devices(user).await?.len();
        }
        let n = self
            .mfa
            .password_changed(user, Actor::AccountHolder)
            .await?;
        notify_error = first(notify_error, n.notify_error);
        if sign_out_everywhere {
            change.sessions_revoked = self
                .sessions
                .revoke_all(user)
                .await
                .map_err(Error::Sessions)?;
        }
        Ok(Notified {
            value: change,
            notify_error,
        })
    }

    /// Stores `hash` as the current password if the password did not change since
    /// `seen` was loaded; other concurrent changes are merged by reloading.
    async fn store_new_hash(&self, seen: &Account, hash: String) -> Result<()> {
        for _ in 0..SAVE_ATTEMPTS {
            let Versioned { version, value } = self.load(&seen.id).await?;
            if value.password_hash != seen.password_hash {
                return Err(Error::Conflict);
            }
            let mut account = value;
            account.history.push(hash.clone(), self.policy.history())?;
            account.password_hash = Some(hash.clone());
            account.password_changed_at = Some(self.now());
            match self.accounts.save(&account, version).await {
                Ok(_) => return Ok(()),
                Err(crate::AccountStoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Conflict)
    }
}

/// The history to check a new password against, with the current hash first even when
/// the policy kept no history when it was set (so "changing" to the current password is
/// refused as soon as the policy has a history).
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
