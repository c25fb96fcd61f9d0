//! Sign-in (password, then a second factor) and step-up.

use tessera_mfa::{
    Actor, CodeDelivery, MfaMethod, MfaStore, Purpose, RememberToken, SecurityNotifier, SignInPlan,
};
use tessera_otp::Clock;
use tessera_password::Password;
use tessera_registry::{AssertionVerifier, DeviceStore, UserId, Verified};

use crate::accounts::{REMEMBER_WITHIN, SECOND_FACTOR_TTL};
use crate::{
    AccountStore, Accounts, Assurance, Error, Factor, Offload, Result, SecondFactorChallenge,
    SessionRevoker, SignIn, canonical_username,
};

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
    /// Checks the password and decides what comes next.
    ///
    /// A `remembered` token (from a cookie set by [`remember_device`](Self::remember_device))
    /// skips the second factor when it belongs to *this* account and is still valid.
    ///
    /// An unknown username, an identity-provider account, a wrong password and a
    /// throttled or locked account all give the one [`Error::VerificationFailed`], after
    /// the same password work. Password failures count towards the account's failure
    /// throttle (the MFA service's, shared with the second factors: NIST SP 800-63B
    /// §5.2.2 limits failed attempts per account); only a completed sign-in resets it,
    /// so a known password does not buy more second-factor guesses.
    ///
    /// # Errors
    /// [`Error::VerificationFailed`]; store errors.
    pub async fn sign_in(
        &self,
        username: &str,
        password: &Password,
        remembered: Option<&RememberToken>,
    ) -> Result<SignIn> {
        let found = match canonical_username(username) {
            Ok(name) => self.accounts.find_by_username(&name).await?,
            Err(_) => None,
        };
        let Some(account) = found.map(|v| v.value).filter(|a| !a.is_federated()) else {
            // The same work as a real check, so timing does not tell whether it exists.
            let _ = self.verify_password(password, None).await;
            return Err(Error::VerificationFailed);
        };
        let user = account.id.clone();
        if let Err(e) = self.mfa.second_factor_permitted(&user).await {
            // Throttled: the same work as a real check all the same, so that a quick
            // answer does not tell that the username exists.
            let _ = self.verify_password(password, None).await;
            return Err(e.into());
        }
        if !self
            .verify_password(password, account.password_hash.as_deref())
            .await?
        {
            let _ = self.mfa.second_factor_failed(&user).await?;
            return Err(Error::VerificationFailed);
        }
        self.rehash_if_needed(&account, password).await;
        let now = self.now();
        let ctx = self.context(&account).await?;
        match self.mfa.sign_in_plan(&ctx).await? {
            SignInPlan::NoSecondFactor => {
                self.mfa.second_factor_succeeded(&user).await?;
                Ok(SignIn::Complete(Assurance::password_only(user, now)))
            }
            SignInPlan::EnrolmentRequired => {
                self.mfa.second_factor_succeeded(&user).await?;
                Ok(SignIn::EnrolmentRequired(Assurance::password_only(
                    user, now,
                )))
            }
            SignInPlan::SecondFactor { primary, available } => {
                if let Some(token) = remembered
                    && self.mfa.is_remembered(&user, token).await?
                {
                    self.mfa.second_factor_succeeded(&user).await?;
                    return Ok(SignIn::Complete(Assurance::remembered(user, now)));
                }
                Ok(SignIn::SecondFactor(SecondFactorChallenge {
                    account: user,
                    purpose: Purpose::SignIn,
                    prior: vec![Factor::Password],
                    authenticated_at: now,
                    primary,
                    available,
                    method: None,
                    ticket: None,
                    expires_at: now.saturating_add(SECOND_FACTOR_TTL),
                }))
            }
            // A plan this version does not know: fail closed.
            _ => Err(Error::VerificationFailed),
        }
    }

    /// Begins a step-up: a fresh second factor for a signed-in person before a
    /// sensitive operation. Complete it as a sign-in's second factor; the result is the
    /// same assurance with a new second-factor time.
    ///
    /// # Errors
    /// [`Error::Mfa`] with `MfaNotEnabled` when the account has no second factor to ask
    /// for; [`Error::AccountNotFound`]; store errors.
    pub async fn begin_step_up(&self, assurance: &Assurance) -> Result<SecondFactorChallenge> {
        let account = self.load(&assurance.account).await?.value;
        let ctx = self.context(&account).await?;
        let now = self.now();
        match self.mfa.sign_in_plan(&ctx).await? {
            SignInPlan::SecondFactor { primary, available } => Ok(SecondFactorChallenge {
                account: account.id,
                purpose: Purpose::StepUp,
                prior: assurance
                    .factors
                    .iter()
                    .copied()
                    .filter(|f| *f == Factor::Password)
                    .collect(),
                authenticated_at: assurance.authenticated_at,
                primary,
                available,
                method: None,
                ticket: None,
                expires_at: now.saturating_add(SECOND_FACTOR_TTL),
            }),
            _ => Err(Error::Mfa(tessera_mfa::Error::MfaNotEnabled)),
        }
    }

    /// Starts the second factor with `method`, or with the challenge's primary method
    /// when `None`. For email and SMS this sends a code (again, when called again,
    /// within the send limits) and returns its ticket; for the other methods there is
    /// nothing to send.
    ///
    /// # Errors
    /// [`Error::NoMethodChosen`] when `method` is `None` and only recovery codes are
    /// left; [`Error::MethodNotOffered`]; [`Error::VerificationFailed`] for an expired
    /// challenge; [`Error::Mfa`] for send limits and delivery failures.
    pub async fn start_second_factor(
        &self,
        challenge: &mut SecondFactorChallenge,
        method: Option<MfaMethod>,
    ) -> Result<Option<tessera_mfa::ChallengeTicket>> {
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
                    .send_code(&ctx, method, challenge.purpose, &self.delivery)
                    .await?,
            )
        } else {
            None
        };
        // Only a successful start changes the challenge: a refused send leaves the
        // previous method (and its code) usable.
        challenge.method = Some(method);
        challenge.ticket.clone_from(&ticket);
        Ok(ticket)
    }

    /// Completes the second factor with what the person typed: a code from an
    /// authenticator app or hardware token, an email or SMS code, or a recovery code,
    /// as the started method says.
    ///
    /// Every failure is the one [`Error::VerificationFailed`], throttled per account; a
    /// replayed authenticator code is also reported to the account holder
    /// ([`Mfa::report_code_reuse`](tessera_mfa::Mfa::report_code_reuse)).
    ///
    /// # Errors
    /// [`Error::VerificationFailed`]; [`Error::NoMethodChosen`] before
    /// [`start_second_factor`](Self::start_second_factor); store errors.
    pub async fn complete_second_factor(
        &self,
        challenge: &SecondFactorChallenge,
        typed: &str,
    ) -> Result<Assurance> {
        let method = challenge.method.ok_or(Error::NoMethodChosen)?;
        if self.now() >= challenge.expires_at {
            return Err(Error::VerificationFailed);
        }
        let user = &challenge.account;
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
                    .map_err(opaque)?
                    .into_value();
                if verified.purpose != challenge.purpose || verified.method != method {
                    return Err(Error::VerificationFailed);
                }
                (method, None)
            }
            MfaMethod::RecoveryCode => {
                let account = self.load(user).await?.value;
                let ctx = self.context(&account).await?;
                let _remaining = self
                    .mfa
                    .use_recovery_code(&ctx, typed)
                    .await
                    .map_err(opaque)?;
                (method, None)
            }
            // Security keys answer with an assertion, not a typed code.
            other => return Err(Error::MethodNotOffered(other)),
        };
        Ok(self.finish(challenge, method, device))
    }

    /// Completes the second factor with a security-key assertion, checked by the
    /// application's WebAuthn `verifier` (see `tessera_registry::AssertionVerifier`).
    ///
    /// # Errors
    /// [`Error::VerificationFailed`]; [`Error::MethodNotOffered`]; store errors.
    pub async fn complete_with_security_key<V: AssertionVerifier>(
        &self,
        challenge: &SecondFactorChallenge,
        verifier: &V,
        assertion: &V::Assertion,
    ) -> Result<Assurance> {
        if !challenge.available.contains(&MfaMethod::SecurityKey) {
            return Err(Error::MethodNotOffered(MfaMethod::SecurityKey));
        }
        if self.now() >= challenge.expires_at {
            return Err(Error::VerificationFailed);
        }
        let user = &challenge.account;
        self.mfa.second_factor_permitted(user).await?;
        match self
            .registry
            .verify_assertion_unthrottled(user, verifier, assertion)
            .await
        {
            Ok(v) => {
                self.mfa.second_factor_succeeded(user).await?;
                Ok(self.finish(challenge, MfaMethod::SecurityKey, Some(v.device_id)))
            }
            Err(tessera_registry::Error::Rejected) => {
                let _ = self.mfa.second_factor_failed(user).await?;
                Err(Error::VerificationFailed)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Remembers the device the person just completed a second factor on, so that
    /// [`sign_in`](Self::sign_in) with the returned token skips the second factor for
    /// this account only. Hand the token to the device (a secure, http-only cookie).
    ///
    /// # Errors
    /// [`Error::StepUpRequired`] unless the assurance's second factor is at most five
    /// minutes old; [`Error::Mfa`] when MFA is off; store errors.
    pub async fn remember_device(
        &self,
        assurance: &Assurance,
        label: &str,
    ) -> Result<RememberToken> {
        assurance.require_second_factor(REMEMBER_WITHIN, self.now())?;
        let (token, _device) = self.mfa.remember_device(&assurance.account, label).await?;
        Ok(token)
    }

    fn finish(
        &self,
        challenge: &SecondFactorChallenge,
        method: MfaMethod,
        device: Option<tessera_registry::DeviceId>,
    ) -> Assurance {
        let mut factors = challenge.prior.clone();
        factors.push(Factor::SecondFactor(method));
        Assurance {
            account: challenge.account.clone(),
            factors,
            method: Some(method),
            device,
            authenticated_at: challenge.authenticated_at,
            second_factor_at: Some(self.now()),
        }
    }

    /// A TOTP code against the account's devices, inside the account's throttle.
    ///
    /// A refusal is the one [`Error::VerificationFailed`] whatever the reason; when the
    /// registry saw a replay of a device's used code, the account holder is told too.
    pub(crate) async fn verify_totp(&self, user: &UserId, typed: &str) -> Result<Verified> {
        self.mfa.second_factor_permitted(user).await?;
        match self
            .registry
            .verify_unthrottled_reporting_reuse(user, typed)
            .await
        {
            Ok(v) => {
                self.mfa.second_factor_succeeded(user).await?;
                Ok(v)
            }
            Err(refused) if refused.is_rejected() => {
                if let Some(reuse) = refused.reuse() {
                    // The person sees the same failure; the account holder is told.
                    let method = MfaMethod::from_device_kind(reuse.kind);
                    let _ = self
                        .mfa
                        .report_code_reuse(user, method, Actor::AccountHolder)
                        .await;
                }
                let _ = self.mfa.second_factor_failed(user).await?;
                Err(Error::VerificationFailed)
            }
            Err(e) => Err(e.into_error().into()),
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
        let _ = self.accounts.save(&current.value, current.version).await;
    }
}

/// Maps every refusal of a typed code to the one opaque failure.
fn opaque(e: tessera_mfa::Error) -> Error {
    match e {
        tessera_mfa::Error::VerificationFailed
        | tessera_mfa::Error::InvalidCode(_)
        | tessera_mfa::Error::MethodUnavailable { .. } => Error::VerificationFailed,
        other => Error::Mfa(other),
    }
}
