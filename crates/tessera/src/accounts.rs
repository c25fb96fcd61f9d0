//! The flows type: the stores, delivery, notifier, sessions and clock, put together.

use std::sync::OnceLock;
use std::time::Duration;

use tessera_mfa::{
    AccountContext, Authority, CodeDelivery, InMemoryStore, Mfa, MfaMethod, MfaStore, NotifyError,
    OrgPolicy, SecurityNotifier, ServerKey, Versioned,
};
use tessera_otp::{Clock, UnixTime};
use tessera_password::{Context, Hasher, Password, PasswordPolicy};
use tessera_registry::{DeviceRegistry, DeviceStore, InMemoryDeviceStore, RegistryConfig, UserId};

use crate::{
    Account, AccountStore, Error, InMemoryAccountStore, InMemorySessionRevoker, Inline, Offload,
    Result, SessionRevoker,
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

/// The account flows over every pluggable part.
///
/// | parameter | trait | in memory |
/// | --- | --- | --- |
/// | `A` | [`AccountStore`] | [`InMemoryAccountStore`] |
/// | `D` | [`DeviceStore`] | [`InMemoryDeviceStore`] |
/// | `M` | [`MfaStore`] | [`InMemoryStore`] |
/// | `N` | [`SecurityNotifier`] | [`RecordingNotifier`](tessera_mfa::RecordingNotifier), [`EmailNotifier`](tessera_mfa::EmailNotifier) |
/// | `Q` | [`CodeDelivery`] | [`InMemoryDelivery`](tessera_mfa::InMemoryDelivery), [`ConsoleDelivery`](tessera_mfa::ConsoleDelivery) |
/// | `R` | [`SessionRevoker`] | [`InMemorySessionRevoker`] |
/// | `C` | [`Clock`] | [`ManualClock`](tessera_otp::ManualClock), [`SystemClock`](tessera_otp::SystemClock) |
/// | `H` | [`Offload`] | [`Inline`] |
///
/// Build it from parts with [`Accounts::new`], or all in memory with
/// [`Accounts::in_memory`]. Every flow is an `async fn` whose future is `Send`; the
/// type keeps no state besides its parts, so one value serves every request.
#[derive(Debug)]
pub struct Accounts<A, D, M, N, Q, R, C, H = Inline> {
    pub(crate) accounts: A,
    pub(crate) registry: DeviceRegistry<D, C>,
    pub(crate) mfa: Mfa<M, N, C>,
    pub(crate) delivery: Q,
    pub(crate) sessions: R,
    pub(crate) offload: H,
    pub(crate) policy: PasswordPolicy,
    pub(crate) hasher: Hasher,
    pub(crate) step_up_max_age: Duration,
    /// A hash to verify against when the username is unknown, so that both cases cost
    /// the same; made on first use with the configured parameters.
    pub(crate) dummy_hash: OnceLock<String>,
    /// Keys the throttle buckets of unknown usernames (random per process).
    pub(crate) unknown_buckets: std::hash::RandomState,
}

/// [`Accounts`] on the in-memory stores and session revoker.
pub type InMemoryAccounts<N, Q, C> = Accounts<
    InMemoryAccountStore,
    InMemoryDeviceStore,
    InMemoryStore,
    N,
    Q,
    InMemorySessionRevoker,
    C,
>;

impl<N, Q, C> InMemoryAccounts<N, Q, C>
where
    N: SecurityNotifier,
    Q: CodeDelivery,
    C: Clock + Clone,
{
    /// Everything in memory, with the default organisation policy, registry
    /// configuration (issuer "Tessera"), password policy and hashing, and a fresh random
    /// server key: for tests, examples and single-process applications.
    ///
    /// # Errors
    /// [`Error::Mfa`] when the operating system's generator fails.
    pub fn in_memory(clock: C, notifier: N, delivery: Q) -> Result<Self> {
        let config = RegistryConfig::builder("Tessera")
            .build()
            .map_err(Error::Registry)?;
        Self::in_memory_with(clock, notifier, delivery, OrgPolicy::default(), config)
    }

    /// As [`in_memory`](Self::in_memory), under `policy` and `config`.
    ///
    /// # Errors
    /// [`Error::Mfa`] when the operating system's generator fails.
    pub fn in_memory_with(
        clock: C,
        notifier: N,
        delivery: Q,
        policy: OrgPolicy,
        config: RegistryConfig,
    ) -> Result<Self> {
        // In memory, nothing outlives the process: a key of its own is enough. One
        // keyring seals the seeds and keys the MFA tags, as a service's would.
        let keyring = tessera_keyring::Keyring::ephemeral().map_err(|_| Error::Randomness)?;
        let server_key = ServerKey::from_keyring(&keyring)?;
        let registry = DeviceRegistry::new(
            InMemoryDeviceStore::new(),
            clock.clone(),
            config,
            std::sync::Arc::new(keyring),
        );
        let mfa = Mfa::new(InMemoryStore::new(), notifier, clock, policy, server_key);
        Ok(Self::new(
            InMemoryAccountStore::new(),
            registry,
            mfa,
            delivery,
            InMemorySessionRevoker::new(),
        ))
    }
}

impl<A, D, M, N, Q, R, C> Accounts<A, D, M, N, Q, R, C, Inline>
where
    A: AccountStore,
    D: DeviceStore,
    M: MfaStore,
    N: SecurityNotifier,
    Q: CodeDelivery,
    R: SessionRevoker,
    C: Clock,
{
    /// The flows over these parts, with the default password policy
    /// ([`PasswordPolicy::DEFAULT`]), Argon2id at OWASP's parameters, and password work
    /// run [`Inline`]. The registry and the MFA service should read the same clock.
    pub fn new(
        accounts: A,
        registry: DeviceRegistry<D, C>,
        mfa: Mfa<M, N, C>,
        delivery: Q,
        sessions: R,
    ) -> Self {
        Self {
            accounts,
            registry,
            mfa,
            delivery,
            sessions,
            offload: Inline,
            policy: PasswordPolicy::DEFAULT,
            hasher: Hasher::default(),
            step_up_max_age: DEFAULT_STEP_UP_MAX_AGE,
            dummy_hash: OnceLock::new(),
            unknown_buckets: std::hash::RandomState::new(),
        }
    }
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
    /// Runs password hashing through `offload` (e.g. tokio's `spawn_blocking`).
    pub fn with_offload<H2: Offload>(self, offload: H2) -> Accounts<A, D, M, N, Q, R, C, H2> {
        Accounts {
            accounts: self.accounts,
            registry: self.registry,
            mfa: self.mfa,
            delivery: self.delivery,
            sessions: self.sessions,
            offload,
            policy: self.policy,
            hasher: self.hasher,
            step_up_max_age: self.step_up_max_age,
            dummy_hash: self.dummy_hash,
            unknown_buckets: self.unknown_buckets,
        }
    }

    /// Sets the password policy for new and changed passwords.
    #[must_use]
    pub fn with_password_policy(mut self, policy: PasswordPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Sets the hasher (parameters, pepper) for new hashes.
    #[must_use]
    pub fn with_hasher(mut self, hasher: Hasher) -> Self {
        self.hasher = hasher;
        self.dummy_hash = OnceLock::new();
        self
    }

    /// Sets how recent a second factor must be for the MFA-protected operations of the
    /// flows.
    ///
    /// # Errors
    /// [`Error::Mfa`] with `InvalidConfig` outside
    /// [`MIN_STEP_UP_MAX_AGE`]..=[`MAX_STEP_UP_MAX_AGE`].
    pub fn with_step_up_max_age(mut self, max_age: Duration) -> Result<Self> {
        if !(MIN_STEP_UP_MAX_AGE..=MAX_STEP_UP_MAX_AGE).contains(&max_age) {
            return Err(Error::Mfa(tessera_mfa::Error::InvalidConfig(
                "the step-up age must be 1 minute to 1 day",
            )));
        }
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
    pub fn mfa(&self) -> &Mfa<M, N, C> {
        &self.mfa
    }

    /// The code delivery.
    pub fn delivery(&self) -> &Q {
        &self.delivery
    }

    /// The session revoker.
    pub fn sessions(&self) -> &R {
        &self.sessions
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
        let mut ctx = AccountContext::new(account.id.clone())
            .with_email(account.email.clone())
            .with_active_devices(status.active_kinds().iter().copied());
        if let Some(p) = &account.identity_provider {
            ctx = ctx.managed_by(p.clone());
        }
        Ok(ctx)
    }

    pub(crate) fn password_context(account: &Account) -> Context {
        Context::new()
            .with_username(account.username.clone())
            .with_email(account.email.as_str())
    }

    pub(crate) async fn hash_password(&self, password: &Password) -> Result<String> {
        let hasher = self.hasher.clone();
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
        let hasher = self.hasher.clone();
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

/// The first of two notification errors.
pub(crate) fn first(a: Option<NotifyError>, b: Option<NotifyError>) -> Option<NotifyError> {
    a.or(b)
}
