//! Sign-in (password, then a second factor) and step-up.

use tessera_mfa::{
    Account as MfaAccount, Actor, Attempt, MfaMethod, MfaStore, Purpose, RememberToken, SignInPlan,
};
use tessera_otp::Clock;
use tessera_password::Password;
use tessera_registry::{AssertionVerifier, DeviceStore, UserId, Verified};

use crate::accounts::{REMEMBER_WITHIN, SECOND_FACTOR_TTL};
use crate::audit::{self, Reason};
use crate::{
    Account, AccountStore, Accounts, Assurance, BINDING_PASSWORD_MAX_AGE, EnrolmentSession, Error,
    Factor, PasswordChangeSession, Result, SecondFactorChallenge, SignIn, canonical_username,
};

impl<A: AccountStore, D: DeviceStore, M: MfaStore, C: Clock> Accounts<A, D, M, C> {
    /// Checks the password and decides what comes next.
    ///
    /// A `remembered` token (from a cookie set by [`remember_device`](Self::remember_device))
    /// skips the second factor when it belongs to *this* account and is still valid.
    ///
    /// Every failure is the one [`Error::VerificationFailed`], counted as a failed
    /// attempt, after the same password work and the same store round trips: an unknown
    /// username, an identity-provider account, a wrong password, a password that cannot
    /// be checked (over 4 KiB, a hash naming a retired pepper), a throttled or locked
    /// account, contention or a failing store. The reason goes to the audit events
    /// ([`audit`](crate::audit)).
    ///
    /// The attempt is counted in the account's throttle (the MFA service's, shared with
    /// the second factors: NIST SP 800-63B §5.2.2 limits failed attempts per account)
    /// **before** the password is checked, so a burst of any size is checked at most as
    /// often as the throttle admits; a right password takes its count back, and only a
    /// completed sign-in resets it, so a known password does not buy more
    /// second-factor guesses. Unknown usernames are throttled too, in one of 4,096
    /// shared buckets, so the throttle does not tell them apart either.
    ///
    /// # Errors
    /// [`Error::VerificationFailed`]; [`Error::Busy`] when a [`Bounded`](crate::Bounded)
    /// offload has no permit free (for every username alike, the attempt not counted).
    pub async fn sign_in(
        &self,
        username: &str,
        password: &Password,
        remembered: Option<&RememberToken>,
    ) -> Result<SignIn> {
        // A failing store answers like an unknown username: one answer for every name.
        let (found, bucket) = self.find_typed(username).await;
        let account = found.ok().flatten();
        let federated = account.as_ref().is_some_and(Account::is_federated);
        let (user, known) = match &account {
            Some(a) if !federated => (a.id.clone(), true),
            _ => (bucket, false),
        };
        // A known account's lockout notice goes to its address; an unknown username's
        // bucket has nobody to tell.
        let holder: &dyn MfaAccount = match &account {
            Some(a) if known => a,
            _ => &user,
        };
        let attempt = self
            .reserve_attempt(holder, "sign_in_failed", known.then_some(&user))
            .await;
        // The password work happens on every path, so timing tells nothing.
        let stored = account
            .as_ref()
            .filter(|_| known && attempt.is_some())
            .and_then(|a| a.password_hash.as_deref());
        let matched = self.password_matches(password, stored).await;
        if matched == Err(Reason::Busy) {
            // Nothing was checked: the attempt is taken back, and every username gets
            // the same answer (it tells of the server's load, not of the account).
            if let Some(attempt) = attempt {
                let _ = self.mfa.attempt_passed(attempt).await;
            }
            audit::failed("sign_in_failed", known.then_some(&user), Reason::Busy);
            return Err(Error::Busy);
        }
        let (Some(attempt), Some(account)) = (attempt, account.filter(|_| known)) else {
            if !known {
                let reason = if federated {
                    Reason::IdentityProviderAccount
                } else {
                    Reason::UnknownAccount
                };
                audit::failed("sign_in_failed", None, reason);
            }
            return Err(Error::VerificationFailed);
        };
        match matched {
            Ok(true) => {}
            Ok(false) => {
                audit::failed("sign_in_failed", Some(&user), Reason::WrongPassword);
                return Err(Error::VerificationFailed);
            }
            Err(reason) => {
                audit::failed("sign_in_failed", Some(&user), reason);
                return Err(Error::VerificationFailed);
            }
        }
        // The password was checked against what was loaded before the (slow) password
        // work; a password change or "sign out everywhere" since then wins.
        let Ok(current) = self.load(&user).await else {
            audit::failed("sign_in_failed", Some(&user), Reason::StoreFailure);
            return Err(Error::VerificationFailed);
        };
        let current = current.value;
        if current.stamp != account.stamp || current.password_hash != account.password_hash {
            audit::failed("sign_in_failed", Some(&user), Reason::StaleAccount);
            return Err(Error::VerificationFailed);
        }
        self.rehash_if_needed(&current, password).await;
        let now = self.now();
        if let Some(until) = current.lifecycle.temporary_password_expires_at {
            if now >= until {
                audit::failed(
                    "sign_in_failed",
                    Some(&user),
                    Reason::TemporaryPasswordExpired,
                );
                return Err(Error::VerificationFailed);
            }
            // Right, but only good for choosing a new one: nothing completes yet.
            let _ = self.mfa.attempt_passed(attempt).await;
            audit::succeeded("signed_in_password_change_required", &user);
            return Ok(SignIn::PasswordChangeRequired(PasswordChangeSession {
                changing: user,
                authenticated_at: now,
                expires_at: now.saturating_add(SECOND_FACTOR_TTL),
                stamp: current.stamp,
            }));
        }
        self.after_password(&current, now, Some(attempt), remembered)
            .await
    }

    /// What follows a right password at `now` (the sign-in's `attempt`, if one is
    /// open): the second factor, an enrolment, or the completed sign-in.
    pub(crate) async fn after_password(
        &self,
        current: &Account,
        now: tessera_otp::UnixTime,
        attempt: Option<Attempt>,
        remembered: Option<&RememberToken>,
    ) -> Result<SignIn> {
        let user = current.id.clone();
        let stamp = current.stamp;
        let plan = match self.context(current).await {
            Ok(ctx) => self.mfa.sign_in_plan(&ctx).await.map_err(Error::from),
            Err(e) => Err(e),
        };
        let plan = match plan {
            Ok(SignInPlan::NoSecondFactor) if current.lifecycle.enrolment_required => {
                SignInPlan::EnrolmentRequired
            }
            Ok(p) => p,
            Err(_) => {
                audit::failed("sign_in_failed", Some(&user), Reason::StoreFailure);
                return Err(Error::VerificationFailed);
            }
        };
        match plan {
            SignInPlan::NoSecondFactor => {
                self.complete(attempt, &user).await;
                audit::succeeded("signed_in", &user);
                Ok(SignIn::Complete(Assurance::password_only(user, now, stamp)))
            }
            SignInPlan::EnrolmentRequired => {
                self.complete(attempt, &user).await;
                audit::succeeded("signed_in_enrolment_required", &user);
                Ok(SignIn::EnrolmentRequired(EnrolmentSession::new(
                    user, now, stamp,
                )))
            }
            SignInPlan::SecondFactor { primary, available } => {
                if let Some(token) = remembered
                    && self.mfa.is_remembered(&user, token).await.unwrap_or(false)
                {
                    self.complete(attempt, &user).await;
                    audit::succeeded("signed_in_remembered_device", &user);
                    return Ok(SignIn::Complete(Assurance::remembered(user, now, stamp)));
                }
                // The password was right: its provisional failure is taken back, but
                // nothing resets until the second factor completes the sign-in.
                if let Some(attempt) = attempt {
                    let _ = self.mfa.attempt_passed(attempt).await;
                }
                Ok(SignIn::SecondFactor(self.sign_in_challenge(
                    current,
                    now,
                    (primary, available),
                )))
            }
            // A plan this version does not know: fail closed.
            _ => Err(Error::VerificationFailed),
        }
    }

    /// Resets the throttle after a completed sign-in: the open attempt's, or the
    /// account's when the attempt was closed earlier (a required password change).
    async fn complete(&self, attempt: Option<Attempt>, user: &UserId) {
        match attempt {
            Some(attempt) => self.complete_attempt(attempt).await,
            None => {
                if self.mfa.authentication_completed(user).await.is_err() {
                    audit::failed("throttle_reset_failed", Some(user), Reason::StoreFailure);
                }
            }
        }
    }

    /// Checks a password against `stored` (or, without one, a dummy hash, for the same
    /// work); every reason it cannot be checked is a refusal with its audit reason.
    pub(crate) async fn password_matches(
        &self,
        password: &Password,
        stored: Option<&str>,
    ) -> std::result::Result<bool, Reason> {
        match self.verify_password(password, stored).await {
            Ok(matched) => Ok(matched),
            Err(Error::Busy) => Err(Reason::Busy),
            Err(_) => Err(Reason::PasswordNotCheckable),
        }
    }

    /// Resets the throttle after a completed sign-in or step-up. A failure to reset
    /// leaves failures counted, the safe side; it is not the person's failure.
    async fn complete_attempt(&self, attempt: Attempt) {
        let user = attempt.user().clone();
        if self.mfa.attempt_completed(attempt).await.is_err() {
            audit::failed("throttle_reset_failed", Some(&user), Reason::StoreFailure);
        }
    }

    /// The second factor of a sign-in whose password was checked at `authenticated_at`.
    fn sign_in_challenge(
        &self,
        account: &Account,
        authenticated_at: tessera_otp::UnixTime,
        offered: (Option<MfaMethod>, Vec<MfaMethod>),
    ) -> SecondFactorChallenge {
        SecondFactorChallenge::open(
            Purpose::SignIn,
            account,
            vec![Factor::Password],
            authenticated_at,
            offered,
            self.now(),
        )
    }

    /// Ends an enrolment session once a second factor is set up by another way than
    /// [`finish_authenticator_setup`](Self::finish_authenticator_setup) (which returns
    /// the full sign-in itself): a verified phone number and
    /// [`enable_mfa`](Self::enable_mfa), say. Takes the session by value and says what
    /// comes next, as [`sign_in`](Self::sign_in) would after the password:
    ///
    /// - MFA is on: [`SignIn::SecondFactor`], a challenge that keeps the session's
    ///   password time; the person proves the new factor once, as at every sign-in,
    ///   and the result is a full [`Assurance`].
    /// - MFA is still off and required: [`SignIn::EnrolmentRequired`] with the same
    ///   session (nothing was set up yet).
    /// - MFA is off and no longer required: [`SignIn::Complete`] with the password.
    ///
    /// # Errors
    /// [`Error::SessionRevoked`] when the account's security stamp moved on;
    /// [`Error::ReauthenticationRequired`] when the password is older than
    /// [`BINDING_PASSWORD_MAX_AGE`] (sign in again); [`Error::AccountNotFound`]; store
    /// errors.
    pub async fn finish_enrolment(&self, session: EnrolmentSession) -> Result<SignIn> {
        let password = session.password_only();
        let account = self.authorize(&password).await?;
        let now = self.now();
        password.require_password_within(BINDING_PASSWORD_MAX_AGE, now)?;
        let ctx = self.context(&account).await?;
        match self.mfa.sign_in_plan(&ctx).await? {
            SignInPlan::SecondFactor { primary, available } => Ok(SignIn::SecondFactor(
                self.sign_in_challenge(&account, session.authenticated_at, (primary, available)),
            )),
            SignInPlan::EnrolmentRequired => Ok(SignIn::EnrolmentRequired(session)),
            SignInPlan::NoSecondFactor if account.lifecycle.enrolment_required => {
                Ok(SignIn::EnrolmentRequired(session))
            }
            SignInPlan::NoSecondFactor => {
                audit::succeeded("signed_in", &account.id);
                Ok(SignIn::Complete(password))
            }
            // A plan this version does not know: fail closed.
            _ => Err(Error::VerificationFailed),
        }
    }

    /// The shared throttle bucket of a username no account has.
    fn unknown_bucket(&self, username: &str) -> UserId {
        use std::hash::BuildHasher;
        let bucket = self.unknown_buckets.hash_one(username) % 4096;
        UserId::new(format!("tessera:unknown:{bucket:03x}"))
    }

    /// The account a typed username names (`None` for an invalid or unknown name), and
    /// the throttle bucket the name shares when no account has it.
    pub(crate) async fn find_typed(&self, username: &str) -> (Result<Option<Account>>, UserId) {
        let name = canonical_username(username);
        let found = match &name {
            Ok(name) => self
                .accounts
                .find_by_username(name)
                .await
                .map(|found| found.map(|v| v.value))
                .map_err(Error::from),
            Err(_) => Ok(None),
        };
        let bucket = self.unknown_bucket(name.as_deref().unwrap_or(username.trim()));
        (found, bucket)
    }

    /// Starts a step-up: a fresh second factor for a signed-in person before a
    /// sensitive operation. Go on as with a sign-in's second factor
    /// ([`start_second_factor`](Self::start_second_factor), then
    /// [`finish_second_factor`](Self::finish_second_factor)); the result is the same
    /// assurance with a new second-factor time.
    ///
    /// # Errors
    /// [`Error::SessionRevoked`] for an assurance made under an older security stamp;
    /// [`Error::Mfa`] with `MfaNotEnabled` when the account has no second factor to ask
    /// for; [`Error::AccountNotFound`]; store errors.
    pub async fn start_step_up(&self, assurance: &Assurance) -> Result<SecondFactorChallenge> {
        let account = self.authorize(assurance).await?;
        let ctx = self.context(&account).await?;
        let now = self.now();
        match self.mfa.sign_in_plan(&ctx).await? {
            SignInPlan::SecondFactor { primary, available } => Ok(SecondFactorChallenge::open(
                Purpose::StepUp,
                &account,
                assurance
                    .factors
                    .iter()
                    .copied()
                    .filter(|f| *f == Factor::Password)
                    .collect(),
                assurance.authenticated_at,
                (primary, available),
                now,
            )),
            _ => Err(Error::Mfa(tessera_mfa::Error::MfaNotEnabled)),
        }
    }

    /// Starts the second factor with `method`, or with the challenge's primary method
    /// when `None`. For email and SMS this sends a code (again, when called again,
    /// within the send limits); for the other methods there is nothing to send. No
    /// code is sent while the account is locked.
    ///
    /// Ceremony state goes in and comes out **by value** (the webauthn-rs way): the
    /// returned challenge names the started method and carries the email/SMS
    /// [`ticket`](SecondFactorChallenge::ticket); **store it in the session in place of
    /// the one passed in** (forgetting is a `#[must_use]` warning), and pass it to
    /// [`finish_second_factor`](Self::finish_second_factor).
    ///
    /// On an error nothing is returned, and nothing needs to be: the challenge the
    /// session holds is still the state of record (a refused send changed nothing, so
    /// its earlier method and code, if any, still finish). A caller that holds the
    /// challenge only in memory passes a clone when it wants to keep it on failure.
    ///
    /// # Errors
    /// [`Error::NoMethodChosen`] when `method` is `None` and only recovery codes are
    /// left; [`Error::MethodNotOffered`]; [`Error::VerificationFailed`] for an expired
    /// challenge or a locked account; [`Error::Mfa`] for send limits and delivery
    /// failures.
    pub async fn start_second_factor(
        &self,
        mut challenge: SecondFactorChallenge,
        method: Option<MfaMethod>,
    ) -> Result<SecondFactorChallenge> {
        if self.now() >= challenge.expires_at {
            return Err(Error::VerificationFailed);
        }
        let method = method.or(challenge.primary).ok_or(Error::NoMethodChosen)?;
        if !challenge.available.contains(&method) {
            return Err(Error::MethodNotOffered(method));
        }
        let ticket = if matches!(method, MfaMethod::Email | MfaMethod::Sms) {
            let account = self.load(&challenge.account).await?.value;
            let ctx = self.context(&account).await?;
            Some(
                self.mfa
                    .send_code(&ctx, method, challenge.code_purpose(), &self.delivery)
                    .await?,
            )
        } else {
            None
        };
        challenge.method = Some(method);
        challenge.ticket = ticket;
        Ok(challenge)
    }

    /// Finishes the second factor with what the person typed: a code from an
    /// authenticator app or hardware token, an email or SMS code, or a recovery code,
    /// as the started method says.
    ///
    /// Every failure is the one [`Error::VerificationFailed`], counted in the account's
    /// throttle before anything is checked; the reason goes to the audit events. A
    /// replayed authenticator code is also reported to the account holder
    /// ([`Mfa::report_code_reuse`](tessera_mfa::Mfa::report_code_reuse)), without
    /// waiting for the notification (put a slow notifier behind
    /// [`OutboxNotifier`](tessera_mfa::OutboxNotifier)). Only this completion resets
    /// the throttle.
    ///
    /// # Errors
    /// [`Error::VerificationFailed`]; [`Error::NoMethodChosen`] before
    /// [`start_second_factor`](Self::start_second_factor).
    pub async fn finish_second_factor(
        &self,
        challenge: &SecondFactorChallenge,
        typed: &str,
    ) -> Result<Assurance> {
        challenge.refuse_reset()?;
        let (method, device) = self.check_second_factor(challenge, typed).await?;
        self.finish(challenge, method, device).await
    }

    /// Checks the typed second factor of `challenge` (counted in the throttle, every
    /// failure opaque) and resets the throttle on success; returns the method and the
    /// device that answered.
    pub(crate) async fn check_second_factor(
        &self,
        challenge: &SecondFactorChallenge,
        typed: &str,
    ) -> Result<(MfaMethod, Option<tessera_registry::DeviceId>)> {
        let method = challenge.method.ok_or(Error::NoMethodChosen)?;
        let user = &challenge.account;
        if self.now() >= challenge.expires_at {
            audit::failed("second_factor_failed", Some(user), Reason::Expired);
            return Err(Error::VerificationFailed);
        }
        let (method, device) = match method {
            MfaMethod::AuthenticatorApp | MfaMethod::HardwareToken => {
                let v = self.verify_totp(user, typed).await?;
                (MfaMethod::from_device_kind(v.kind), Some(v.device_id))
            }
            MfaMethod::Email | MfaMethod::Sms => {
                let ticket = challenge.ticket.as_ref().ok_or(Error::NoMethodChosen)?;
                let verified = self
                    .mfa
                    .verify_code(user, &ticket.id, typed)
                    .await
                    .map_err(|e| refused(user, &e))?
                    .into_value();
                if verified.purpose != challenge.code_purpose() || verified.method != method {
                    audit::failed(
                        "second_factor_failed",
                        Some(user),
                        Reason::WrongSecondFactor,
                    );
                    return Err(Error::VerificationFailed);
                }
                (method, None)
            }
            MfaMethod::RecoveryCode => {
                let account = self.load(user).await.map_err(|_| {
                    audit::failed("second_factor_failed", Some(user), Reason::StoreFailure);
                    Error::VerificationFailed
                })?;
                let ctx = self.context(&account.value).await.map_err(|_| {
                    audit::failed("second_factor_failed", Some(user), Reason::StoreFailure);
                    Error::VerificationFailed
                })?;
                let _remaining = self
                    .mfa
                    .use_recovery_code(&ctx, typed)
                    .await
                    .map_err(|e| refused(user, &e))?;
                (method, None)
            }
            // Security keys answer with an assertion, not a typed code.
            other => return Err(Error::MethodNotOffered(other)),
        };
        if !matches!(
            method,
            MfaMethod::AuthenticatorApp | MfaMethod::HardwareToken
        ) && self.mfa.authentication_completed(user).await.is_err()
        {
            audit::failed("throttle_reset_failed", Some(user), Reason::StoreFailure);
        }
        Ok((method, device))
    }

    /// Finishes the second factor with a security-key assertion, checked by the
    /// application's WebAuthn `verifier` (see `tessera_registry::AssertionVerifier`),
    /// counted in the throttle before it is checked.
    ///
    /// # Errors
    /// [`Error::VerificationFailed`]; [`Error::MethodNotOffered`].
    pub async fn finish_with_security_key<V: AssertionVerifier>(
        &self,
        challenge: &SecondFactorChallenge,
        verifier: &V,
        assertion: &V::Assertion,
    ) -> Result<Assurance> {
        challenge.refuse_reset()?;
        let device = self
            .check_security_key(challenge, verifier, assertion)
            .await?;
        self.finish(challenge, MfaMethod::SecurityKey, Some(device))
            .await
    }

    /// Checks a security-key assertion for `challenge`, counted in the throttle; the
    /// device that answered.
    pub(crate) async fn check_security_key<V: AssertionVerifier>(
        &self,
        challenge: &SecondFactorChallenge,
        verifier: &V,
        assertion: &V::Assertion,
    ) -> Result<tessera_registry::DeviceId> {
        challenge.require_security_key()?;
        let user = &challenge.account;
        if self.now() >= challenge.expires_at {
            audit::failed("second_factor_failed", Some(user), Reason::Expired);
            return Err(Error::VerificationFailed);
        }
        let attempt = self.counted_attempt(user, "second_factor_failed").await?;
        match self
            .registry
            .verify_assertion_unthrottled(user, verifier, assertion)
            .await
        {
            Ok(v) => {
                self.complete_attempt(attempt).await;
                Ok(v.device_id)
            }
            Err(e) => {
                let reason = if matches!(e, tessera_registry::Error::Rejected) {
                    Reason::WrongSecondFactor
                } else {
                    Reason::StoreFailure
                };
                audit::failed("second_factor_failed", Some(user), reason);
                Err(Error::VerificationFailed)
            }
        }
    }

    /// Remembers the device the person just completed a second factor on, so that
    /// [`sign_in`](Self::sign_in) with the returned token skips the second factor for
    /// this account only. Hand the token to the device (a secure, http-only cookie).
    ///
    /// # Errors
    /// [`Error::SessionRevoked`]; [`Error::StepUpRequired`] unless the assurance's second
    /// factor is at most five minutes old; [`Error::Mfa`] when MFA is off; store errors.
    pub async fn remember_device(
        &self,
        assurance: &Assurance,
        label: &str,
    ) -> Result<RememberToken> {
        self.authorize(assurance).await?;
        assurance.require_second_factor(REMEMBER_WITHIN, self.now())?;
        let (token, _device) = self.mfa.remember_device(&assurance.account, label).await?;
        Ok(token)
    }

    /// The assurance a completed challenge gives, if the account's security stamp did
    /// not move on while the challenge was open.
    async fn finish(
        &self,
        challenge: &SecondFactorChallenge,
        method: MfaMethod,
        device: Option<tessera_registry::DeviceId>,
    ) -> Result<Assurance> {
        let user = &challenge.account;
        let stamp = match self.load(user).await {
            Ok(v) => v.value.stamp,
            Err(_) => {
                audit::failed("second_factor_failed", Some(user), Reason::StoreFailure);
                return Err(Error::VerificationFailed);
            }
        };
        if stamp != challenge.stamp {
            audit::failed("second_factor_failed", Some(user), Reason::StaleAccount);
            return Err(Error::VerificationFailed);
        }
        let mut factors = challenge.prior.clone();
        factors.push(Factor::SecondFactor(method));
        let event = match challenge.purpose {
            Purpose::StepUp => "stepped_up",
            _ => "signed_in",
        };
        audit::succeeded(event, user);
        Ok(Assurance {
            account: user.clone(),
            factors,
            method: Some(method),
            device,
            authenticated_at: challenge.authenticated_at,
            second_factor_at: Some(self.now()),
            stamp,
        })
    }

    /// Counts an attempt in the account's throttle before anything is checked; every
    /// refusal is the opaque failure, its reason audited.
    pub(crate) async fn counted_attempt(
        &self,
        user: &UserId,
        event: &'static str,
    ) -> Result<Attempt> {
        self.reserve_attempt(user, event, Some(user))
            .await
            .ok_or(Error::VerificationFailed)
    }

    /// Reserves an attempt in `user`'s throttle. A refusal (throttled, contention, a
    /// failing store) is `None`, audited as `event` naming `audited` (no account for a
    /// username nobody has); a lockout notification that failed is audited too.
    pub(crate) async fn reserve_attempt(
        &self,
        holder: &(impl MfaAccount + ?Sized),
        event: &'static str,
        audited: Option<&UserId>,
    ) -> Option<Attempt> {
        match self.mfa.begin_attempt(holder).await {
            Ok(n) => {
                if let Some(e) = &n.notify_error {
                    audit::notify_failed(holder.user(), e);
                }
                Some(n.into_value())
            }
            Err(e) => {
                audit::failed(event, audited, Reason::of_refusal(&e));
                None
            }
        }
    }

    /// A TOTP code against the account's devices, counted in the account's throttle
    /// before the registry checks it.
    ///
    /// A refusal is the one [`Error::VerificationFailed`] whatever the reason; when the
    /// registry saw a replay of a device's used code, the account holder is told too.
    pub(crate) async fn verify_totp(&self, user: &UserId, typed: &str) -> Result<Verified> {
        let attempt = self.counted_attempt(user, "second_factor_failed").await?;
        match self
            .registry
            .verify_unthrottled_reporting_reuse(user, typed)
            .await
        {
            Ok(v) => {
                self.complete_attempt(attempt).await;
                Ok(v)
            }
            Err(refused) if refused.is_rejected() => {
                if let Some(reuse) = refused.reuse() {
                    // The person sees the same failure; the account holder is told.
                    let method = MfaMethod::from_device_kind(reuse.kind);
                    if let Some(e) = self
                        .mfa
                        .report_code_reuse(user, method, Actor::AccountHolder)
                        .await
                    {
                        audit::notify_failed(user, &e);
                    }
                }
                audit::failed(
                    "second_factor_failed",
                    Some(user),
                    Reason::WrongSecondFactor,
                );
                Err(Error::VerificationFailed)
            }
            Err(refused) => {
                let reason = match refused.into_error() {
                    tessera_registry::Error::SealedSecret(_) => Reason::SealedSecret,
                    _ => Reason::StoreFailure,
                };
                audit::failed("second_factor_failed", Some(user), reason);
                Err(Error::VerificationFailed)
            }
        }
    }

    /// After a good password: replaces a hash made with weaker parameters. Best effort:
    /// a failure leaves the old hash, which still verifies.
    async fn rehash_if_needed(&self, account: &crate::Account, password: &Password) {
        let Some(old) = account.password_hash.as_deref() else {
            return;
        };
        if !self.hasher.needs_rehash(old).unwrap_or(false) {
            return;
        }
        let Ok(new) = self.hash_password(password).await else {
            return;
        };
        let Ok(Some(mut current)) = self.accounts.load(&account.id).await else {
            return;
        };
        if current.value.password_hash.as_deref() != Some(old) {
            return;
        }
        let mut hashes: Vec<String> = current.value.history.hashes().to_vec();
        if let Some(first) = hashes.first_mut()
            && first == old
        {
            first.clone_from(&new);
        }
        if let Ok(history) = tessera_password::PasswordHistory::from_hashes(hashes) {
            current.value.history = history;
        }
        current.value.password_hash = Some(new);
        let _ = self.accounts.save(&current).await;
    }
}

/// Maps every refusal of a typed code to the one opaque failure, its reason audited.
fn refused(user: &UserId, e: &tessera_mfa::Error) -> Error {
    let reason = match e {
        tessera_mfa::Error::VerificationFailed
        | tessera_mfa::Error::InvalidCode(_)
        | tessera_mfa::Error::MethodUnavailable { .. } => Reason::WrongSecondFactor,
        tessera_mfa::Error::Conflict => Reason::Contention,
        _ => Reason::StoreFailure,
    };
    audit::failed("second_factor_failed", Some(user), reason);
    Error::VerificationFailed
}
