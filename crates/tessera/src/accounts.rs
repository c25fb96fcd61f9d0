//! The flows type: the stores, delivery, notifier, sessions and clock, put together.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tessera_keyring::Keyring;
use tessera_mfa::{
    AccountContext, Authority, ChallengeConfig, CodeDelivery, InMemoryStore, Mfa, MfaMethod,
    MfaStore, NotifyError, OrgPolicy, SecurityNotifier, SendLimits, ServerKey, ThrottleConfig,
    Versioned,
};
use tessera_otp::{Clock, SystemClock, UnixTime};
use tessera_password::{Context, Hasher, Password, PasswordPolicy};
use tessera_registry::{DeviceRegistry, DeviceStore, InMemoryDeviceStore, RegistryConfig, UserId};

use crate::parts::{SharedDelivery, SharedNotifier, SharedOffload, SharedSessions};
use crate::{
    Account, AccountStore, Error, InMemoryAccountStore, Inline, Offload, Result, SessionRevoker,
};

/// How recent a second factor must be for the MFA-protected operations of the flows
/// (disabling MFA, removing a device, new recovery codes) by default.
pub const DEFAULT_STEP_UP_MAX_AGE: Duration = Duration::from_secs(10 * 60);
/// Shortest step-up age accepted.
pub const MIN_STEP_UP_MAX_AGE: Duration = Duration::from_secs(60);
/// Longest step-up age accepted.
pub const MAX_STEP_UP_MAX_AGE: Duration = Duration::from_secs(24 * 3600);
/// How long a second-factor challenge (sign-in or step-up) may be completed: ten
/// minutes, the longest an emailed code lives (the design's invariant 6, [`crate::design`]).
pub const SECOND_FACTOR_TTL: Duration = Duration::from_secs(10 * 60);
/// How old a second factor may be when a device is remembered right after it.
pub const REMEMBER_WITHIN: Duration = Duration::from_secs(5 * 60);
/// How recent the password must be to bind a factor or change MFA settings while MFA is
/// off: NIST SP 800-63B-4 §6.1.2.1 (binding an additional authenticator needs
/// authentication at the account's current level, and a password confirmed within
/// the last 20 minutes is what this crate accepts as such a session).
pub const BINDING_PASSWORD_MAX_AGE: Duration = Duration::from_secs(20 * 60);
/// How many times a password change reloads the account after a concurrent save.
pub(crate) const SAVE_ATTEMPTS: u32 = 5;

/// The account flows: three stores and a clock, and the side parts behind them.
///
/// | parameter | trait | in memory |
/// | --- | --- | --- |
/// | `A` | [`AccountStore`] | [`InMemoryAccountStore`] |
/// | `D` | [`DeviceStore`] | [`InMemoryDeviceStore`] |
/// | `M` | [`MfaStore`] | [`InMemoryStore`] |
/// | `C` | [`Clock`] | [`SystemClock`] (the default), [`ManualClock`](tessera_otp::ManualClock) in tests |
///
/// The side parts — the [`SecurityNotifier`], the [`CodeDelivery`], the
/// [`SessionRevoker`] and the [`Offload`] for password hashing — are held behind one
/// `Arc` each ([`SharedNotifier`], …), so the type names only what is on the hot path
/// and stays the same whichever side parts are plugged in.
///
/// Build it with [`Accounts::builder`] (a service, from its stores and keyring) or
/// [`Accounts::in_memory`] (tests, examples). A value is a handle: [`Clone`] costs a
/// few reference-count increments and every clone serves the same stores, so put one
/// in the application state and clone it into each request. Every flow is an
/// `async fn` whose future is `Send`.
pub struct Accounts<A, D, M, C = SystemClock> {
    pub(crate) accounts: Arc<A>,
    pub(crate) registry: Arc<DeviceRegistry<D, C>>,
    pub(crate) mfa: Arc<Mfa<M, SharedNotifier, C>>,
    pub(crate) delivery: SharedDelivery,
    pub(crate) sessions: SharedSessions,
    pub(crate) offload: SharedOffload,
    pub(crate) policy: Arc<PasswordPolicy>,
    pub(crate) hasher: Arc<Hasher>,
    pub(crate) step_up_max_age: Duration,
    /// A hash to verify against when the username is unknown, so that both cases cost
    /// the same; made on first use with the configured parameters.
    pub(crate) dummy_hash: Arc<OnceLock<String>>,
    /// Keys the throttle buckets of unknown usernames (random per process).
    pub(crate) unknown_buckets: std::hash::RandomState,
    /// How long a password reset code lives (the challenge configuration's).
    pub(crate) reset_ttl: Duration,
    /// How long a temporary password works.
    pub(crate) temporary_password_ttl: Duration,
    /// Keys the tooling credentials' hashes ([`crate::tooling`]).
    pub(crate) keyring: Arc<Keyring>,
}

impl<A, D, M, C> Clone for Accounts<A, D, M, C> {
    fn clone(&self) -> Self {
        Self {
            accounts: Arc::clone(&self.accounts),
            registry: Arc::clone(&self.registry),
            mfa: Arc::clone(&self.mfa),
            delivery: self.delivery.clone(),
            sessions: self.sessions.clone(),
            offload: self.offload.clone(),
            policy: Arc::clone(&self.policy),
            hasher: Arc::clone(&self.hasher),
            step_up_max_age: self.step_up_max_age,
            dummy_hash: Arc::clone(&self.dummy_hash),
            unknown_buckets: self.unknown_buckets.clone(),
            reset_ttl: self.reset_ttl,
            temporary_password_ttl: self.temporary_password_ttl,
            keyring: Arc::clone(&self.keyring),
        }
    }
}

impl<A, D, M, C> fmt::Debug for Accounts<A, D, M, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The stores may hold anything; the configuration is what helps in a log.
        f.debug_struct("Accounts")
            .field("password_policy", &self.policy)
            .field("step_up_max_age", &self.step_up_max_age)
            .finish_non_exhaustive()
    }
}

/// [`Accounts`] on the in-memory stores: one concrete type, whatever side parts are
/// plugged in (the clock is [`SystemClock`] unless a test names another).
pub type InMemoryAccounts<C = SystemClock> =
    Accounts<InMemoryAccountStore, InMemoryDeviceStore, InMemoryStore, C>;

/// Builds [`Accounts`]: the keyring and the registry configuration up front, the side
/// parts and the policies through setters, the stores and the clock at
/// [`build`](Self::build). The argon2 shape: setters take `&mut self`, `build` takes
/// `&self`, so one builder can build several services (a test's restart, say).
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use tessera::{Accounts, ConsoleDelivery, InMemoryAccountStore, InMemoryDeviceStore,
///     InMemoryStore, Keyring, RecordingNotifier, RegistryConfig, SystemClock};
///
/// let keyring = Arc::new(Keyring::ephemeral()?); // a service reads its keys from a file
/// let config = RegistryConfig::new("Example")?;
/// let accounts = Accounts::builder(keyring, config)
///     .notifier(RecordingNotifier::new())
///     .delivery(ConsoleDelivery)
///     .build(InMemoryAccountStore::new(), InMemoryDeviceStore::new(), InMemoryStore::new(), SystemClock)?;
/// let per_request = accounts.clone(); // cheap: a handle on the same stores
/// # let _ = per_request;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct AccountsBuilder {
    keyring: Arc<Keyring>,
    registry: RegistryConfig,
    org_policy: OrgPolicy,
    notifier: Option<SharedNotifier>,
    delivery: Option<SharedDelivery>,
    sessions: SharedSessions,
    offload: SharedOffload,
    password_policy: PasswordPolicy,
    hasher: Hasher,
    step_up_max_age: Duration,
    throttle: Option<ThrottleConfig>,
    challenges: Option<ChallengeConfig>,
    send_limits: Option<SendLimits>,
    recovery_code_count: Option<usize>,
    remember_ttl: Option<Duration>,
    store_attempts: Option<u32>,
    temporary_password_ttl: Duration,
}

/// Sessions nobody keeps: "sign out everywhere" deletes no record (the security stamp
/// still ends every session).
struct NoSessionRecords;

impl SessionRevoker for NoSessionRecords {
    async fn revoke_all(
        &self,
        _account: &UserId,
    ) -> std::result::Result<usize, crate::SessionError> {
        Ok(0)
    }
}

impl AccountsBuilder {
    fn new(keyring: Arc<Keyring>, registry: RegistryConfig) -> Self {
        Self {
            keyring,
            registry,
            org_policy: OrgPolicy::default(),
            notifier: None,
            delivery: None,
            sessions: SharedSessions::new(NoSessionRecords),
            offload: SharedOffload::new(Inline),
            password_policy: PasswordPolicy::DEFAULT,
            hasher: Hasher::default(),
            step_up_max_age: DEFAULT_STEP_UP_MAX_AGE,
            throttle: None,
            challenges: None,
            send_limits: None,
            recovery_code_count: None,
            remember_ttl: None,
            store_attempts: None,
            temporary_password_ttl: crate::DEFAULT_TEMPORARY_PASSWORD_TTL,
        }
    }

    /// Who is told of security events (password changed, factor added, lockout, …).
    /// Required.
    pub fn notifier(&mut self, notifier: impl SecurityNotifier + 'static) -> &mut Self {
        self.notifier = Some(SharedNotifier::new(notifier));
        self
    }

    /// How email and SMS codes are sent. Required.
    pub fn delivery(&mut self, delivery: impl CodeDelivery + 'static) -> &mut Self {
        self.delivery = Some(SharedDelivery::new(delivery));
        self
    }

    /// Which session records "sign out everywhere" also deletes (best effort: the
    /// security stamp ends every session whatever this does). Default: none.
    pub fn sessions(&mut self, sessions: impl SessionRevoker + 'static) -> &mut Self {
        self.sessions = SharedSessions::new(sessions);
        self
    }

    /// Where password hashing runs: a service on tokio passes `spawn_blocking` wrapped
    /// in [`Bounded`](crate::Bounded) (see [`Offload`]). Default: [`Inline`].
    pub fn offload(&mut self, offload: impl Offload + 'static) -> &mut Self {
        self.offload = SharedOffload::new(offload);
        self
    }

    /// The organisation's MFA policy. Default: [`OrgPolicy::default`].
    pub fn org_policy(&mut self, policy: OrgPolicy) -> &mut Self {
        self.org_policy = policy;
        self
    }

    /// The policy for new and changed passwords. Default: [`PasswordPolicy::DEFAULT`].
    pub fn password_policy(&mut self, policy: PasswordPolicy) -> &mut Self {
        self.password_policy = policy;
        self
    }

    /// The hasher (parameters, pepper) for new hashes. Default: Argon2id at OWASP's
    /// parameters, no pepper.
    pub fn hasher(&mut self, hasher: Hasher) -> &mut Self {
        self.hasher = hasher;
        self
    }

    /// How recent a second factor must be for the MFA-protected operations, checked at
    /// [`build`](Self::build): [`MIN_STEP_UP_MAX_AGE`]..=[`MAX_STEP_UP_MAX_AGE`].
    /// Default: [`DEFAULT_STEP_UP_MAX_AGE`].
    pub fn step_up_max_age(&mut self, max_age: Duration) -> &mut Self {
        self.step_up_max_age = max_age;
        self
    }

    /// Throttling and lockout of failed attempts. Default: [`ThrottleConfig::DEFAULT`].
    pub fn throttle(&mut self, throttle: ThrottleConfig) -> &mut Self {
        self.throttle = Some(throttle);
        self
    }

    /// Lifetime and attempts of email and SMS challenges.
    pub fn challenges(&mut self, config: ChallengeConfig) -> &mut Self {
        self.challenges = Some(config);
        self
    }

    /// Send limits per destination and account.
    pub fn send_limits(&mut self, limits: SendLimits) -> &mut Self {
        self.send_limits = Some(limits);
        self
    }

    /// How many recovery codes a set has, checked at [`build`](Self::build).
    pub fn recovery_code_count(&mut self, count: usize) -> &mut Self {
        self.recovery_code_count = Some(count);
        self
    }

    /// How long a remembered device is trusted, checked at [`build`](Self::build).
    pub fn remember_ttl(&mut self, ttl: Duration) -> &mut Self {
        self.remember_ttl = Some(ttl);
        self
    }

    /// How many times an MFA state change reloads after a concurrent save, checked at
    /// [`build`](Self::build).
    pub fn store_attempts(&mut self, attempts: u32) -> &mut Self {
        self.store_attempts = Some(attempts);
        self
    }

    /// How long a temporary password an administrator issues works
    /// ([`Accounts::issue_temporary_password`]): [`DEFAULT_TEMPORARY_PASSWORD_TTL`](crate::DEFAULT_TEMPORARY_PASSWORD_TTL)
    /// unless set, within
    /// [`MIN_TEMPORARY_PASSWORD_TTL`](crate::MIN_TEMPORARY_PASSWORD_TTL)..=[`MAX_TEMPORARY_PASSWORD_TTL`](crate::MAX_TEMPORARY_PASSWORD_TTL)
    /// ([`build`](Self::build) refuses others).
    pub fn temporary_password_ttl(&mut self, ttl: Duration) -> &mut Self {
        self.temporary_password_ttl = ttl;
        self
    }

    /// The flows over these stores, read with `clock`.
    ///
    /// # Errors
    /// [`Error::Mfa`] with `InvalidConfig` when the notifier or the delivery was not
    /// set, or a setting is out of its bounds; [`Error::Mfa`] when the keyring cannot
    /// key the MFA tags.
    pub fn build<A, D, M, C>(
        &self,
        accounts: A,
        devices: D,
        mfa_state: M,
        clock: C,
    ) -> Result<Accounts<A, D, M, C>>
    where
        A: AccountStore,
        D: DeviceStore,
        M: MfaStore,
        C: Clock + Clone,
    {
        let invalid = |why| Error::Mfa(tessera_mfa::Error::InvalidConfig(why));
        let notifier = self
            .notifier
            .clone()
            .ok_or_else(|| invalid("set a security notifier: AccountsBuilder::notifier"))?;
        let delivery = self
            .delivery
            .clone()
            .ok_or_else(|| invalid("set a code delivery: AccountsBuilder::delivery"))?;
        // Every notice to the holder is an audit event too (lockouts, code reuse, …).
        let notifier = SharedNotifier::new(crate::audit::Audited(notifier));
        check_step_up_max_age(self.step_up_max_age)?;
        if !(crate::MIN_TEMPORARY_PASSWORD_TTL..=crate::MAX_TEMPORARY_PASSWORD_TTL)
            .contains(&self.temporary_password_ttl)
        {
            return Err(invalid(
                "a temporary password must work 10 minutes to 7 days",
            ));
        }
        let server_key = ServerKey::from_keyring(&self.keyring)?;
        let mut mfa = Mfa::new(
            mfa_state,
            notifier,
            clock.clone(),
            self.org_policy.clone(),
            server_key,
        );
        if let Some(t) = self.throttle {
            mfa = mfa.with_throttle(t);
        }
        if let Some(c) = self.challenges {
            mfa = mfa.with_challenge_config(c);
        }
        if let Some(l) = self.send_limits {
            mfa = mfa.with_send_limits(l);
        }
        if let Some(n) = self.recovery_code_count {
            mfa = mfa.with_recovery_code_count(n)?;
        }
        if let Some(ttl) = self.remember_ttl {
            mfa = mfa.with_remember_ttl(ttl)?;
        }
        if let Some(n) = self.store_attempts {
            mfa = mfa.with_store_attempts(n)?;
        }
        let registry = DeviceRegistry::new(
            devices,
            clock,
            self.registry.clone(),
            Arc::clone(&self.keyring),
        );
        Ok(Accounts {
            accounts: Arc::new(accounts),
            registry: Arc::new(registry),
            mfa: Arc::new(mfa),
            delivery,
            sessions: self.sessions.clone(),
            offload: self.offload.clone(),
            policy: Arc::new(self.password_policy.clone()),
            hasher: Arc::new(self.hasher.clone()),
            step_up_max_age: self.step_up_max_age,
            dummy_hash: Arc::new(OnceLock::new()),
            unknown_buckets: std::hash::RandomState::new(),
            reset_ttl: self.challenges.unwrap_or_default().reset_ttl(),
            temporary_password_ttl: self.temporary_password_ttl,
            keyring: Arc::clone(&self.keyring),
        })
    }

    /// [`build`](Self::build) on fresh in-memory stores.
    ///
    /// # Errors
    /// As [`build`](Self::build).
    pub fn build_in_memory<C: Clock + Clone>(&self, clock: C) -> Result<InMemoryAccounts<C>> {
        self.build(
            InMemoryAccountStore::new(),
            InMemoryDeviceStore::new(),
            InMemoryStore::new(),
            clock,
        )
    }
}

impl Accounts<InMemoryAccountStore, InMemoryDeviceStore, InMemoryStore> {
    /// A builder for flows whose seeds are sealed with `keyring` and whose
    /// authenticator entries are issued under `registry`'s issuer: set the side parts
    /// and policies, then [`build`](AccountsBuilder::build) with the stores and the
    /// clock.
    #[must_use]
    pub fn builder(keyring: Arc<Keyring>, registry: RegistryConfig) -> AccountsBuilder {
        AccountsBuilder::new(keyring, registry)
    }

    /// A builder for everything in memory: a fresh random keyring (nothing outlives
    /// the process, so a key of its own is enough) and authenticator entries issued as
    /// `issuer`.
    ///
    /// # Errors
    /// [`Error::Randomness`] when the operating system's generator fails;
    /// [`Error::Registry`] for an invalid issuer.
    pub fn in_memory_builder(issuer: &str) -> Result<AccountsBuilder> {
        let keyring = Keyring::ephemeral().map_err(|_| Error::Randomness)?;
        let config = RegistryConfig::new(issuer).map_err(Error::Registry)?;
        Ok(AccountsBuilder::new(Arc::new(keyring), config))
    }

    /// Everything in memory with the default policies, issuing authenticator entries as
    /// `issuer` (the service's name, which authenticator apps show beside each code):
    /// for tests, examples and single-process experiments.
    ///
    /// # Errors
    /// [`Error::Randomness`] when the operating system's generator fails;
    /// [`Error::Registry`] for a blank issuer.
    pub fn in_memory<C: Clock + Clone>(
        issuer: &str,
        clock: C,
        notifier: impl SecurityNotifier + 'static,
        delivery: impl CodeDelivery + 'static,
    ) -> Result<InMemoryAccounts<C>> {
        Self::in_memory_builder(issuer)?
            .notifier(notifier)
            .delivery(delivery)
            .build_in_memory(clock)
    }
}

impl<A: AccountStore, D: DeviceStore, M: MfaStore, C: Clock> Accounts<A, D, M, C> {
    /// A handle on the same stores whose password work runs through `offload`.
    #[must_use]
    pub fn with_offload(mut self, offload: impl Offload + 'static) -> Self {
        self.offload = SharedOffload::new(offload);
        self
    }

    /// A handle on the same stores with `policy` for new and changed passwords.
    #[must_use]
    pub fn with_password_policy(mut self, policy: PasswordPolicy) -> Self {
        self.policy = Arc::new(policy);
        self
    }

    /// A handle on the same stores hashing with `hasher` (a new pepper after a
    /// redeploy, say); existing hashes still verify while the hasher keeps their pepper
    /// as retired.
    #[must_use]
    pub fn with_hasher(mut self, hasher: Hasher) -> Self {
        self.hasher = Arc::new(hasher);
        self.dummy_hash = Arc::new(OnceLock::new());
        self
    }

    /// A handle on the same stores with another step-up age.
    ///
    /// # Errors
    /// [`Error::Mfa`] with `InvalidConfig` outside
    /// [`MIN_STEP_UP_MAX_AGE`]..=[`MAX_STEP_UP_MAX_AGE`].
    pub fn with_step_up_max_age(mut self, max_age: Duration) -> Result<Self> {
        check_step_up_max_age(max_age)?;
        self.step_up_max_age = max_age;
        Ok(self)
    }

    /// The account store.
    pub fn account_store(&self) -> &A {
        &self.accounts
    }

    /// The device registry.
    pub fn registry(&self) -> &DeviceRegistry<D, C> {
        &self.registry
    }

    /// The MFA service (settings, policy, notifier).
    pub fn mfa(&self) -> &Mfa<M, SharedNotifier, C> {
        &self.mfa
    }

    /// The code delivery.
    pub fn delivery(&self) -> &SharedDelivery {
        &self.delivery
    }

    /// The password policy.
    pub fn password_policy(&self) -> &PasswordPolicy {
        &self.policy
    }

    /// How recent a second factor must be for the flows' MFA-protected operations.
    pub fn step_up_max_age(&self) -> Duration {
        self.step_up_max_age
    }

    /// The current time, from the MFA service's clock.
    pub fn now(&self) -> UnixTime {
        self.mfa.now()
    }

    /// The account with this id.
    ///
    /// # Errors
    /// [`Error::AccountNotFound`]; [`Error::Store`].
    pub async fn account(&self, id: &UserId) -> Result<Account> {
        Ok(self.load(id).await?.value)
    }

    pub(crate) async fn load(&self, id: &UserId) -> Result<Versioned<Account>> {
        self.accounts.load(id).await?.ok_or(Error::AccountNotFound)
    }

    /// The facts the MFA rules need: email, identity provider, active device kinds.
    pub(crate) async fn context(&self, account: &Account) -> Result<AccountContext> {
        let status = self.registry.mfa_status(&account.id).await?;
        Ok(Self::context_with(
            account,
            status.active_kinds().iter().copied(),
        ))
    }

    /// The MFA rules' view of `account` with these active device kinds (already loaded).
    pub(crate) fn context_with(
        account: &Account,
        active: impl IntoIterator<Item = tessera_registry::DeviceKind>,
    ) -> AccountContext {
        let ctx = AccountContext::new(account.id.clone())
            .with_email(account.email.clone())
            .with_active_devices(active);
        match &account.identity_provider {
            Some(p) => ctx.managed_by(p.clone()),
            None => ctx,
        }
    }

    pub(crate) fn password_context(account: &Account) -> Context {
        Context::new()
            .with_username(account.username.clone())
            .with_email(account.email.as_str())
    }

    pub(crate) async fn hash_password(&self, password: &Password) -> Result<String> {
        let hasher = Hasher::clone(&self.hasher);
        let password = password.clone();
        self.offload
            .run(move || hasher.hash(&password))
            .await
            .map_err(Error::from)?
            .map_err(Error::Password)
    }

    /// Whether `password` matches `stored`; with no stored hash, the same work against
    /// a dummy hash, and `false`.
    pub(crate) async fn verify_password(
        &self,
        password: &Password,
        stored: Option<&str>,
    ) -> Result<bool> {
        let (stored, real) = match stored {
            Some(s) => (s.to_owned(), true),
            None => (self.dummy_hash().await?, false),
        };
        let hasher = Hasher::clone(&self.hasher);
        let password = password.clone();
        let matched = self
            .offload
            .run(move || hasher.verify(&password, &stored))
            .await
            .map_err(Error::from)?;
        Ok(real && matched?)
    }

    async fn dummy_hash(&self) -> Result<String> {
        if let Some(h) = self.dummy_hash.get() {
            return Ok(h.clone());
        }
        let hash = self
            .hash_password(&Password::new("tessera: no such account"))
            .await?;
        Ok(self.dummy_hash.get_or_init(|| hash).clone())
    }

    /// How many stored secrets still depend on the key `id`: TOTP seeds sealed with it
    /// (the registry) and live code and token tags made under it (the MFA state). Pass
    /// it to [`Keyring::retire`](tessera_keyring::Keyring::retire), which refuses while it
    /// is not zero. A full scan of both stores, page by page.
    ///
    /// # Errors
    /// Store errors.
    pub async fn count_sealed_with(&self, id: &tessera_keyring::KeyId) -> Result<u64> {
        let seeds = self.registry.count_sealed_with(id).await?;
        let tags = self.mfa.count_tags_with(id).await?;
        Ok(seeds.saturating_add(tags))
    }

    /// Re-seals one page of the stored device aggregates with the active key (each user
    /// with compare-and-set, safe beside live traffic); resume from the returned
    /// [`ResealPage::next`](tessera_registry::ResealPage) until it is `None`. MFA tags
    /// cannot be re-keyed (the codes are not stored): they move to the active key as
    /// codes are used, regenerated or expire.
    ///
    /// # Errors
    /// Store errors.
    pub async fn reseal_page(
        &self,
        after: Option<&UserId>,
        limit: usize,
    ) -> Result<tessera_registry::ResealPage> {
        Ok(self.registry.reseal_page(after, limit).await?)
    }

    /// Whether a kept [`Assurance`](crate::Assurance) is still valid: the account exists and its security
    /// stamp has not moved on since the assurance was made (no password change, "sign
    /// out everywhere", MFA turned off or factor removed since). Call it on every
    /// request that trusts a session; it needs no index from accounts to sessions, so
    /// revocation works with any session store.
    ///
    /// # Errors
    /// [`Error::SessionRevoked`]; [`Error::AccountNotFound`]; store errors.
    pub async fn check_session(&self, assurance: &crate::Assurance) -> Result<()> {
        self.authorize(assurance).await.map(|_| ())
    }

    /// The account an assurance speaks for, if the assurance is still valid.
    pub(crate) async fn authorize(&self, assurance: &crate::Assurance) -> Result<Account> {
        let account = self.load(&assurance.account).await?.value;
        if account.stamp != assurance.stamp {
            return Err(Error::SessionRevoked);
        }
        Ok(account)
    }

    /// The strongest factor the account has besides recovery codes (a fallback, not a
    /// factor the holder chose), as the authority that may outrank it.
    pub(crate) async fn strongest_factor(&self, account: &Account) -> Result<Option<Authority>> {
        let ctx = self.context(account).await?;
        let table = self.mfa.availability(&ctx).await?;
        Ok(table
            .available()
            .filter(|m| *m != MfaMethod::RecoveryCode)
            .map(MfaMethod::authority)
            .max())
    }

    /// Fails unless `assurance` (still valid) has a second factor within the step-up age
    /// by a method of at least `needed`, when the account has MFA enabled. A weaker
    /// factor never authorises an operation on a stronger one.
    pub(crate) async fn require_step_up(
        &self,
        assurance: &crate::Assurance,
        needed: Option<Authority>,
    ) -> Result<Account> {
        let account = self.authorize(assurance).await?;
        if self.mfa.settings(&assurance.account).await?.enabled() {
            assurance.require_second_factor(self.step_up_max_age, self.now())?;
            if let Some(needed) = needed {
                let used = assurance.method.map(MfaMethod::authority);
                if !used.is_some_and(|a| a.can_authorise(needed)) {
                    return Err(Error::StepUpTooWeak { needed });
                }
            }
        }
        Ok(account)
    }

    /// The fresh authentication binding a factor or changing MFA settings needs (NIST SP
    /// 800-63B-4 §6.1.2.1): with MFA on, a second factor within the step-up age, at
    /// least as strong as the account's strongest factor up to AAL2 (so a recovery code
    /// can bind a new app after a lost security key, and an email code cannot bind
    /// anything to an account that has an app); with MFA off, the password within
    /// [`BINDING_PASSWORD_MAX_AGE`].
    pub(crate) async fn require_binding(&self, assurance: &crate::Assurance) -> Result<Account> {
        let account = self.authorize(assurance).await?;
        if self.mfa.settings(&assurance.account).await?.enabled() {
            let needed = self
                .strongest_factor(&account)
                .await?
                .map(|a| a.min(Authority::Aal2));
            self.require_step_up(assurance, needed).await
        } else {
            assurance.require_password_within(BINDING_PASSWORD_MAX_AGE, self.now())?;
            Ok(account)
        }
    }
}

/// Refuses a step-up age outside [`MIN_STEP_UP_MAX_AGE`]..=[`MAX_STEP_UP_MAX_AGE`]: the
/// one check of the builder and of [`Accounts::with_step_up_max_age`].
fn check_step_up_max_age(max_age: Duration) -> Result<()> {
    if (MIN_STEP_UP_MAX_AGE..=MAX_STEP_UP_MAX_AGE).contains(&max_age) {
        Ok(())
    } else {
        Err(Error::Mfa(tessera_mfa::Error::InvalidConfig(
            "the step-up age must be 1 minute to 1 day",
        )))
    }
}

/// The first of two notification errors.
pub(crate) fn first(a: Option<NotifyError>, b: Option<NotifyError>) -> Option<NotifyError> {
    a.or(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hash an unknown username's password is checked against, so that its sign-in
    /// costs what a real one does: a real hash of this service's hasher, made once.
    #[tokio::test]
    async fn the_dummy_hash_is_a_real_hash_of_this_hasher() {
        let flows = Accounts::in_memory_builder("Tessera")
            .unwrap()
            .notifier(tessera_mfa::RecordingNotifier::new())
            .delivery(tessera_mfa::InMemoryDelivery::new())
            .build_in_memory(tessera_otp::ManualClock::new(tessera_otp::UnixTime::EPOCH))
            .unwrap();
        let dummy = flows.dummy_hash().await.unwrap();
        assert!(
            dummy.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{dummy}"
        );
        assert_eq!(flows.hasher.needs_rehash(&dummy), Ok(false));
        assert_eq!(
            flows
                .hasher
                .verify(&Password::new("tessera: no such account"), &dummy),
            Ok(true)
        );
        assert_eq!(flows.dummy_hash().await.unwrap(), dummy, "made once");
    }
}
