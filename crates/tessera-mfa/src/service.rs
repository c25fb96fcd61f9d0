//! The MFA service: the account operations, over a store, a notifier and a clock.

use std::time::Duration;

use tessera_otp::{Clock, UnixTime};
use tessera_registry::UserId;

use crate::{ChallengeConfig, SendLimits, ServerKey, ThrottleConfig};

use crate::state::Outcome;
use crate::{
    Account, AccountState, Actor, Error, MfaStore, Notified, NotifyError, OrgPolicy, Result,
    SecurityEvent, SecurityEventKind, SecurityNotifier, StoreError,
};

/// Fewest load → change → save rounds before giving up with [`Error::Conflict`].
pub const MIN_STORE_ATTEMPTS: u32 = 1;
/// Most load → change → save rounds allowed.
pub const MAX_STORE_ATTEMPTS: u32 = 64;
/// Default rounds: enough for dozens of concurrent writers to one account.
pub const DEFAULT_STORE_ATTEMPTS: u32 = 32;

/// The MFA rules for a set of accounts: settings, availability, selection, policy and
/// notifications, over a compare-and-set [`MfaStore`].
///
/// Every operation loads the account's state, applies a pure change, and saves it only
/// if nobody else saved in between; on a conflict it starts again, at most
/// [`store_attempts`](Mfa::with_store_attempts) times. Events go to the notifier exactly
/// once, after the save succeeded.
#[derive(Debug)]
pub struct Mfa<S, N, C> {
    pub(crate) store: S,
    pub(crate) notifier: N,
    pub(crate) clock: C,
    pub(crate) policy: OrgPolicy,
    pub(crate) store_attempts: u32,
    pub(crate) key: ServerKey,
    pub(crate) challenge: ChallengeConfig,
    pub(crate) limits: SendLimits,
    pub(crate) throttle: ThrottleConfig,
    pub(crate) recovery_codes: usize,
    pub(crate) remember_ttl: Duration,
}

impl<S: MfaStore, N: SecurityNotifier, C: Clock> Mfa<S, N, C> {
    /// A service over `store`, telling account holders through `notifier`, with time
    /// from `clock`, under `policy`, hashing codes and tokens with `key`; every other
    /// setting at its default (see the `with_*` methods).
    pub fn new(store: S, notifier: N, clock: C, policy: OrgPolicy, key: ServerKey) -> Self {
        Self {
            store,
            notifier,
            clock,
            policy,
            store_attempts: DEFAULT_STORE_ATTEMPTS,
            key,
            challenge: ChallengeConfig::DEFAULT,
            limits: SendLimits::DEFAULT,
            throttle: ThrottleConfig::DEFAULT,
            recovery_codes: crate::DEFAULT_RECOVERY_CODES,
            remember_ttl: crate::DEFAULT_REMEMBER_TTL,
        }
    }

    /// Sets code length, lifetime and attempts of email/SMS challenges.
    pub fn with_challenge_config(mut self, config: ChallengeConfig) -> Self {
        self.challenge = config;
        self
    }

    /// Sets the send limits.
    pub fn with_send_limits(mut self, limits: SendLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets throttling and lockout.
    pub fn with_throttle(mut self, throttle: ThrottleConfig) -> Self {
        self.throttle = throttle;
        self
    }

    /// Sets how many recovery codes a set has.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] outside
    /// [`MIN_RECOVERY_CODES`](crate::MIN_RECOVERY_CODES)..=[`MAX_RECOVERY_CODES`](crate::MAX_RECOVERY_CODES).
    pub fn with_recovery_code_count(mut self, count: usize) -> Result<Self> {
        if !(crate::MIN_RECOVERY_CODES..=crate::MAX_RECOVERY_CODES).contains(&count) {
            return Err(Error::InvalidConfig(
                "a recovery code set must have 1 to 32 codes",
            ));
        }
        self.recovery_codes = count;
        Ok(self)
    }

    /// Sets how long a remembered device skips the second factor (whole seconds).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] outside
    /// [`MIN_REMEMBER_TTL`](crate::MIN_REMEMBER_TTL)..=[`MAX_REMEMBER_TTL`](crate::MAX_REMEMBER_TTL).
    pub fn with_remember_ttl(mut self, ttl: Duration) -> Result<Self> {
        if ttl < crate::MIN_REMEMBER_TTL || ttl > crate::MAX_REMEMBER_TTL {
            return Err(Error::InvalidConfig(
                "a remembered device must last 1 hour to 365 days",
            ));
        }
        self.remember_ttl = ttl;
        Ok(self)
    }

    /// Sets how many load → change → save rounds an operation tries before it fails
    /// with [`Error::Conflict`].
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] outside [`MIN_STORE_ATTEMPTS`]..=[`MAX_STORE_ATTEMPTS`].
    pub fn with_store_attempts(mut self, attempts: u32) -> Result<Self> {
        if !(MIN_STORE_ATTEMPTS..=MAX_STORE_ATTEMPTS).contains(&attempts) {
            return Err(Error::InvalidConfig("store attempts must be 1 to 64"));
        }
        self.store_attempts = attempts;
        Ok(self)
    }

    /// The organisation policy in force.
    pub fn policy(&self) -> &OrgPolicy {
        &self.policy
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The notifier.
    pub fn notifier(&self) -> &N {
        &self.notifier
    }

    /// The current time, from the service's clock.
    pub fn now(&self) -> UnixTime {
        self.clock.now()
    }

    /// Loads the account's state (read only).
    ///
    /// # Errors
    /// [`Error::Store`] when the store fails.
    pub async fn account_state(&self, user: &UserId) -> Result<AccountState> {
        Ok(self.store.load_account(user).await?.value)
    }

    /// Load → pure change → conditional save, retried on conflict; then the events, once.
    pub(crate) async fn modify<R, F>(
        &self,
        account: &(impl Account + ?Sized),
        mut change: F,
    ) -> Result<Notified<R>>
    where
        F: FnMut(&mut AccountState, UnixTime) -> Result<Outcome<R>> + Send,
        R: Send,
    {
        let user = account.user();
        for _ in 0..self.store_attempts {
            let mut state = self.store.load_account(user).await?;
            let now = self.clock.now();
            let outcome = change(&mut state.value, now)?;
            if outcome.write {
                match self.store.save_account(user, &state).await {
                    Ok(_) => {}
                    Err(StoreError::Conflict) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            let notify_error = self.emit(account, now, outcome.events).await;
            return Ok(Notified {
                value: outcome.value,
                notify_error,
            });
        }
        Err(Error::Conflict)
    }

    /// Sends `events` in order; returns the first failure, after trying them all.
    pub(crate) async fn emit(
        &self,
        account: &(impl Account + ?Sized),
        at: UnixTime,
        events: Vec<(Actor, SecurityEventKind)>,
    ) -> Option<NotifyError> {
        let mut first_error = None;
        let recipient = if events.is_empty() {
            None
        } else {
            account.recipient()
        };
        for (actor, kind) in events {
            let event = SecurityEvent::new(account.user().clone(), at, actor, kind)
                .with_recipient(recipient.clone());
            if let Err(e) = self.notifier.notify(&event).await {
                first_error.get_or_insert(e);
            }
        }
        first_error
    }
}
