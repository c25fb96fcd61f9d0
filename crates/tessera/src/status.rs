//! The MFA state of every account, for an administrator: a "security recommendations"
//! view (who has no second factor, who relies on SMS alone, who is locked out) and an
//! AWS-style credential report (`tessera report mfa` in the command line).
//!
//! One page is built from the three stores: the accounts in order of id
//! ([`AccountStore::list`]), each one's devices (the registry) and MFA state (settings,
//! phone, recovery codes, throttle). It holds no secret: no seed, hash, code, phone
//! number or email address, only kinds, counts and times.

use tessera_mfa::{AvailabilityTable, MfaMethod, MfaStore};
use tessera_otp::{Clock, UnixTime};
use tessera_registry::{DeviceInfo, DeviceKind, DeviceStatus, DeviceStore, UserId};

use crate::{Account, AccountStore, Accounts, Result};

/// Most accounts in one [`MfaStatusPage`]; a larger `limit` is taken as this.
pub const MAX_STATUS_PAGE: usize = 1000;

/// One account's MFA state, as an administrator sees it; no secret in it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MfaStatus {
    /// The account's id.
    pub account: UserId,
    /// Its (canonical) username.
    pub username: String,
    /// The identity provider that manages it, when federated.
    pub identity_provider: Option<String>,
    /// Whether it has a password (federated accounts may have none).
    pub password_enabled: bool,
    /// When its password was last changed; `None` when it was never changed since
    /// the account was created (see `created_at`).
    pub password_changed_at: Option<UnixTime>,
    /// When the account was created.
    pub created_at: UnixTime,
    /// Whether MFA is on: sign-in asks for a second factor.
    pub mfa_enabled: bool,
    /// The preferred second factor, while MFA is on.
    pub preferred: Option<MfaMethod>,
    /// Active authenticator apps (pending enrolments are not counted).
    pub authenticator_apps: usize,
    /// Active hardware TOTP tokens.
    pub hardware_tokens: usize,
    /// Active security keys and passkeys.
    pub security_keys: usize,
    /// Whether SMS codes are available as a factor (a verified phone number, and the
    /// organisation policy allows SMS).
    pub sms: bool,
    /// Whether email codes are available as a factor (the organisation policy allows
    /// them; every account has an email address).
    pub email: bool,
    /// Unused recovery codes.
    pub recovery_codes_left: usize,
    /// When any device of the account last verified a sign-in or step-up. Email, SMS
    /// and recovery codes record no time of use, so an account using only those shows
    /// `None`.
    pub last_used_at: Option<UnixTime>,
    /// Whether the account is locked out now (too many failed attempts).
    pub locked: bool,
    /// Until when, for a timed lockout; `None` while not locked or locked for good.
    pub locked_until: Option<UnixTime>,
    /// Whether the current password is a temporary one an administrator issued, still
    /// to be changed.
    pub temporary_password: bool,
    /// Whether an administrator's MFA reset left an enrolment owed.
    pub enrolment_required: bool,
    /// Tooling credentials (see [`crate::tooling`]).
    pub tooling_credentials: usize,
    /// Change requests waiting for an administrator (see [`crate::change_requests`]).
    pub pending_change_requests: usize,
}

impl MfaStatus {
    /// Whether an identity provider manages the account.
    #[must_use]
    pub const fn is_federated(&self) -> bool {
        self.identity_provider.is_some()
    }

    /// Active MFA devices of every kind.
    #[must_use]
    pub const fn device_count(&self) -> usize {
        self.authenticator_apps + self.hardware_tokens + self.security_keys
    }

    /// The kinds of factor the account can use, strongest first (as [`MfaMethod::ALL`]).
    #[must_use]
    pub fn factors(&self) -> Vec<MfaMethod> {
        MfaMethod::ALL
            .into_iter()
            .filter(|m| match m {
                MfaMethod::SecurityKey => self.security_keys > 0,
                MfaMethod::HardwareToken => self.hardware_tokens > 0,
                MfaMethod::AuthenticatorApp => self.authenticator_apps > 0,
                MfaMethod::RecoveryCode => self.recovery_codes_left > 0,
                MfaMethod::Email => self.email,
                MfaMethod::Sms => self.sms,
                // `MfaMethod` is non-exhaustive: a kind this release does not know is
                // not reported rather than guessed.
                _ => false,
            })
            .collect()
    }
}

/// One page of [`MfaStatus`], in order of account id, and where the next one starts.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MfaStatusPage {
    /// The accounts of this page, ordered by id (byte order).
    pub accounts: Vec<MfaStatus>,
    /// The cursor for the next page (the last id of this one), or `None` when this
    /// page was the last. A full page always gives a cursor, so the page after it may
    /// be empty.
    pub next: Option<UserId>,
}

impl<A: AccountStore, D: DeviceStore, M: MfaStore, C: Clock> Accounts<A, D, M, C> {
    /// The MFA state of up to `limit` accounts (at most [`MAX_STATUS_PAGE`], at least
    /// one) whose ids sort after `after`, for an administrator: call with `None`, then
    /// with each page's [`next`](MfaStatusPage::next) until it is `None`.
    ///
    /// Keyset paging: each account is listed exactly once even while accounts are
    /// created, and the walk can stop and resume at any cursor. Each account costs a
    /// read of its devices and of its MFA state besides the listing; the values are
    /// read at slightly different instants, as any report over live data.
    ///
    /// Only for administrators: it lists every account's username.
    ///
    /// ```
    /// use tessera::{Accounts, ConsoleDelivery, Password, RecordingNotifier, SystemClock};
    /// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
    /// let accounts = Accounts::in_memory("Example", SystemClock, RecordingNotifier::new(), ConsoleDelivery)?;
    /// let password = Password::new("correct horse battery staple");
    /// accounts.create_account("ana", "ana@example.com", &password).await?;
    ///
    /// let mut cursor = None;
    /// loop {
    ///     let page = accounts.mfa_status_page(cursor.as_ref(), 100).await?;
    ///     for status in &page.accounts {
    ///         assert!(!status.mfa_enabled, "{} has no second factor", status.username);
    ///     }
    ///     match page.next {
    ///         Some(next) => cursor = Some(next),
    ///         None => break,
    ///     }
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Store`](crate::Error::Store), [`Error::Registry`](crate::Error::Registry)
    /// or [`Error::Mfa`](crate::Error::Mfa) when a store fails.
    pub async fn mfa_status_page(
        &self,
        after: Option<&UserId>,
        limit: usize,
    ) -> Result<MfaStatusPage> {
        let limit = limit.clamp(1, MAX_STATUS_PAGE);
        let listed = self.accounts.list(after, limit).await?;
        let next = (listed.len() == limit)
            .then(|| listed.last().map(|a| a.id.clone()))
            .flatten();
        let mut accounts = Vec::with_capacity(listed.len());
        for account in &listed {
            accounts.push(self.mfa_status_of(account).await?);
        }
        Ok(MfaStatusPage { accounts, next })
    }

    /// One account's [`MfaStatus`].
    ///
    /// # Errors
    /// As [`mfa_status_page`](Self::mfa_status_page).
    pub async fn mfa_status_of(&self, account: &Account) -> Result<MfaStatus> {
        let now = self.now();
        let devices = self.registry.list(&account.id).await?;
        let state = self.mfa.account_state(&account.id).await?;
        let active: Vec<&DeviceInfo> = devices
            .iter()
            .filter(|d| d.status == DeviceStatus::Active)
            .collect();
        let count = |kind: DeviceKind| active.iter().filter(|d| d.kind == kind).count();
        let ctx = Self::context_with(account, active.iter().map(|d| d.kind));
        let available = AvailabilityTable::compute(&ctx, &state, self.mfa.policy());
        let throttle = state.throttle();
        let locked = throttle.is_locked(now);
        Ok(MfaStatus {
            account: account.id.clone(),
            username: account.username.clone(),
            identity_provider: account.identity_provider.clone(),
            password_enabled: account.password_hash.is_some(),
            password_changed_at: account.password_changed_at,
            created_at: account.created_at,
            mfa_enabled: state.settings().enabled(),
            preferred: state
                .settings()
                .enabled()
                .then(|| state.settings().preferred())
                .flatten(),
            authenticator_apps: count(DeviceKind::AuthenticatorApp),
            hardware_tokens: count(DeviceKind::HardwareToken),
            security_keys: count(DeviceKind::SecurityKey),
            sms: available.is_available(MfaMethod::Sms),
            email: available.is_available(MfaMethod::Email),
            recovery_codes_left: state.recovery_codes_remaining(),
            last_used_at: devices.iter().filter_map(|d| d.last_used_at).max(),
            locked,
            locked_until: throttle.locked_until().filter(|_| locked),
            temporary_password: account.lifecycle.temporary_password_expires_at.is_some(),
            enrolment_required: account.lifecycle.enrolment_required,
            tooling_credentials: account.lifecycle.tooling_credentials.len(),
            pending_change_requests: account
                .lifecycle
                .change_requests
                .iter()
                .filter(|r| r.is_pending())
                .count(),
        })
    }
}
