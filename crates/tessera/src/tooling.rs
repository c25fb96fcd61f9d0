//! Tooling credentials: named, revocable secrets for tools and command lines, for accounts
//! whose interactive sign-in is an identity provider's (kanidm's application passwords
//! are the model), and for any other account that wants one.
//!
//! - **Generated here**, never chosen: `tsr_` and 32 letters of RFC 4648's base32
//!   alphabet, 160 random bits, so no policy check is needed. Shown once.
//! - **Stored as a keyed hash** (HMAC-SHA-256 under a key the keyring derives for
//!   [`TOOLING_KEY_PURPOSE`], naming the key id), with its name, creation time and the
//!   time it was last used. At most [`MAX_TOOLING_CREDENTIALS`] per account.
//! - **Accepted only by [`authenticate_tool`](Accounts::authenticate_tool)**, never at the
//!   interactive [`sign_in`](Accounts::sign_in) (a credential is not the password), and
//!   that never accepts the password. Every attempt is counted in the account's throttle
//!   before anything is checked, with the sign-ins: a tool cannot be used to guess more.
//! - **Listed and revoked** by the holder
//!   ([`tooling_credentials`](Accounts::tooling_credentials),
//!   [`revoke_tooling_credential`](Accounts::revoke_tooling_credential)) and by an
//!   administrator ([`admin_tooling_credentials`](Accounts::admin_tooling_credentials),
//!   [`admin_revoke_tooling_credential`](Accounts::admin_revoke_tooling_credential)); the
//!   holder is told of each credential created or revoked.
//!
//! Creating one is a sensitive operation: it needs the fresh authentication of binding a
//! factor (a password or an identity provider's sign-in at most 20 minutes old while MFA
//! is off; a recent second factor while it is on). An identity provider's sign-in becomes
//! an [`Assurance`] through
//! [`signed_in_by_identity_provider`](Accounts::signed_in_by_identity_provider).

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use tessera_keyring::KeyId;
use tessera_mfa::{Actor, MfaStore, Notified, SecurityEventKind};
use tessera_otp::{Clock, UnixTime};
use tessera_password::Password;
use tessera_registry::{DeviceStore, UserId};

use crate::account::{clean_text, hex, random_hex_id, random_letters};
use crate::audit::{self, Reason};
use crate::{AccountStore, Accounts, AdminAction, Assurance, Error, Factor, Result};

/// Most tooling credentials per account.
pub const MAX_TOOLING_CREDENTIALS: usize = 16;
/// Longest credential name, in characters.
pub const MAX_TOOLING_NAME_LEN: usize = 64;
/// The purpose the keyed-hash key is derived for from each keyring key; changing it
/// voids every stored credential.
pub const TOOLING_KEY_PURPOSE: &str = "tessera/tooling-credential/v1";
/// What every tooling credential starts with, so secret scanners can find leaked ones.
pub const TOOLING_PREFIX: &str = "tsr_";
/// Letters after the prefix (base32: 5 bits each, 160 bits).
const SECRET_LETTERS: usize = 32;
const BASE32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// A tooling credential as stored: its id, name and times, and the keyed hash of the
/// secret with the id of the key that made it. `Debug` leaves the hash out.
#[derive(Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct ToolingCredential {
    id: String,
    name: String,
    created_at: UnixTime,
    last_used_at: Option<UnixTime>,
    key_id: String,
    /// HMAC-SHA-256 of the secret, lowercase hex.
    tag: String,
}

impl std::fmt::Debug for ToolingCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolingCredential")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("created_at", &self.created_at)
            .field("last_used_at", &self.last_used_at)
            .finish_non_exhaustive()
    }
}

impl ToolingCredential {
    /// Its id (16 hex digits), to revoke it by.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The name the holder gave it.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// When it was created.
    #[must_use]
    pub fn created_at(&self) -> UnixTime {
        self.created_at
    }

    /// When a tool last authenticated with it.
    #[must_use]
    pub fn last_used_at(&self) -> Option<UnixTime> {
        self.last_used_at
    }
}

/// A credential just created: the record, and the secret to show **once**.
#[derive(Debug)]
#[non_exhaustive]
pub struct NewToolingCredential {
    /// What is stored (no secret).
    pub credential: ToolingCredential,
    /// The secret for the tool (redacted in `Debug`, zeroized on drop).
    pub secret: Password,
}

/// A tool authenticated: which account, with which credential. Not an [`Assurance`]: it
/// opens no interactive session and no Credentials page.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ToolSignIn {
    /// The account.
    pub account: UserId,
    /// The credential's id.
    pub credential: String,
    /// The credential's name.
    pub name: String,
}

/// The keyed hash of `secret` for `user` under the key `key_id`; `None` when that key
/// is not in the keyring.
fn tag(
    keyring: &tessera_keyring::Keyring,
    key_id: &KeyId,
    user: &UserId,
    secret: &str,
) -> Option<[u8; 32]> {
    let key = keyring.derive(key_id, TOOLING_KEY_PURPOSE).ok()?;
    let mut mac = <Hmac<Sha256>>::new_from_slice(key.as_ref()).ok()?;
    mac.update(&(user.as_str().len() as u64).to_be_bytes());
    mac.update(user.as_str().as_bytes());
    mac.update(secret.as_bytes());
    Some(mac.finalize().into_bytes().into())
}

/// Whether `secret` has the shape of a tooling credential.
fn well_formed(secret: &str) -> bool {
    secret.strip_prefix(TOOLING_PREFIX).is_some_and(|rest| {
        rest.len() == SECRET_LETTERS && rest.bytes().all(|b| BASE32.contains(&b))
    })
}

/// A new secret: the prefix and 32 base32 letters.
fn generate_secret() -> Result<Password> {
    Ok(Password::new(random_letters::<SECRET_LETTERS>(
        TOOLING_PREFIX,
        BASE32,
    )?))
}

/// A credential name: trimmed, 1 to [`MAX_TOOLING_NAME_LEN`] characters, no control
/// characters.
fn checked_name(name: &str) -> Result<&str> {
    clean_text(name, 1, MAX_TOOLING_NAME_LEN).ok_or(Error::InvalidToolingCredential(
        "the name must be 1 to 64 characters without control characters",
    ))
}

impl<A: AccountStore, D: DeviceStore, M: MfaStore, C: Clock> Accounts<A, D, M, C> {
    /// The assurance of a person the account's identity provider just authenticated
    /// (after the application validated the provider's answer: an OIDC ID token, a SAML
    /// assertion). Only for accounts an identity provider manages; its factor is
    /// [`Factor::IdentityProvider`], as fresh as a password for binding a credential.
    ///
    /// # Errors
    /// [`Error::AccountNotFound`]; [`Error::InvalidToolingCredential`] when the account
    /// is not managed by an identity provider; store errors.
    pub async fn signed_in_by_identity_provider(&self, account: &UserId) -> Result<Assurance> {
        let loaded = self.load(account).await?.value;
        if !loaded.is_federated() {
            return Err(Error::InvalidToolingCredential(
                "the account is not managed by an identity provider",
            ));
        }
        audit::succeeded("signed_in_identity_provider", account);
        Ok(Assurance {
            account: loaded.id,
            factors: vec![Factor::IdentityProvider],
            method: None,
            device: None,
            authenticated_at: self.now(),
            second_factor_at: None,
            stamp: loaded.stamp,
        })
    }

    /// Creates a tooling credential named `name` for the signed-in account and tells the
    /// holder. The secret is in the answer only: show it once.
    ///
    /// # Errors
    /// The binding errors ([`Error::ReauthenticationRequired`], [`Error::StepUpRequired`],
    /// [`Error::SessionRevoked`]); [`Error::InvalidToolingCredential`] for a bad or taken
    /// name or when the account has [`MAX_TOOLING_CREDENTIALS`]; store errors.
    pub async fn create_tooling_credential(
        &self,
        assurance: &Assurance,
        name: &str,
    ) -> Result<Notified<NewToolingCredential>> {
        let name = checked_name(name)?;
        let account = self.require_binding(assurance).await?;
        let user = &account.id;
        let secret = generate_secret()?;
        let key_id = self.keyring.active_id().clone();
        let tag = tag(&self.keyring, &key_id, user, secret.expose())
            .ok_or(Error::InvalidToolingCredential("the active key is missing"))?;
        let id = random_hex_id()?;
        let credential = ToolingCredential {
            id,
            name: name.to_owned(),
            created_at: self.now(),
            last_used_at: None,
            key_id: key_id.as_str().to_owned(),
            tag: hex(&tag),
        };
        self.update_account(user, |a| {
            let list = &mut a.lifecycle.tooling_credentials;
            if list.len() >= MAX_TOOLING_CREDENTIALS {
                return Err(Error::InvalidToolingCredential(
                    "the account has the most tooling credentials allowed; revoke one first",
                ));
            }
            if list.iter().any(|c| c.name == credential.name) {
                return Err(Error::InvalidToolingCredential(
                    "another tooling credential has this name",
                ));
            }
            list.push(credential.clone());
            Ok(())
        })
        .await?;
        audit::succeeded("tooling_credential_created", user);
        let notify_error = self
            .mfa
            .tell_holder(
                &account,
                Actor::AccountHolder,
                SecurityEventKind::ToolingCredentialAdded {
                    name: credential.name.clone(),
                },
            )
            .await;
        Ok(Notified {
            value: NewToolingCredential { credential, secret },
            notify_error,
        })
    }

    /// The signed-in account's tooling credentials, oldest first.
    ///
    /// # Errors
    /// [`Error::SessionRevoked`]; store errors.
    pub async fn tooling_credentials(
        &self,
        assurance: &Assurance,
    ) -> Result<Vec<ToolingCredential>> {
        Ok(self
            .authorize(assurance)
            .await?
            .lifecycle
            .tooling_credentials)
    }

    /// Revokes one of the signed-in account's tooling credentials and tells the holder.
    ///
    /// # Errors
    /// [`Error::SessionRevoked`]; [`Error::InvalidToolingCredential`] for an unknown id;
    /// store errors.
    pub async fn revoke_tooling_credential(
        &self,
        assurance: &Assurance,
        id: &str,
    ) -> Result<Notified<ToolingCredential>> {
        self.authorize(assurance).await?;
        self.revoke_tool(&assurance.account, id, Actor::AccountHolder)
            .await
    }

    /// An account's tooling credentials, for an administrator.
    ///
    /// # Errors
    /// [`Error::AccountNotFound`]; store errors.
    pub async fn admin_tooling_credentials(
        &self,
        account: &UserId,
    ) -> Result<Vec<ToolingCredential>> {
        Ok(self
            .load(account)
            .await?
            .value
            .lifecycle
            .tooling_credentials)
    }

    /// An administrator revokes a tooling credential; the holder is told who did.
    ///
    /// # Errors
    /// [`Error::AccountNotFound`]; [`Error::InvalidToolingCredential`] for an unknown
    /// id; store errors.
    pub async fn admin_revoke_tooling_credential(
        &self,
        action: &AdminAction,
        account: &UserId,
        id: &str,
    ) -> Result<Notified<ToolingCredential>> {
        let revoked = self
            .revoke_tool(account, id, Actor::administrator(action.admin()))
            .await?;
        audit::admin_action("tooling_credential_revoked", account, action);
        Ok(revoked)
    }

    async fn revoke_tool(
        &self,
        user: &UserId,
        id: &str,
        actor: Actor,
    ) -> Result<Notified<ToolingCredential>> {
        let mut removed = None;
        let account = self
            .update_account(user, |a| {
                let list = &mut a.lifecycle.tooling_credentials;
                let at =
                    list.iter()
                        .position(|c| c.id == id)
                        .ok_or(Error::InvalidToolingCredential(
                            "no tooling credential has this id",
                        ))?;
                removed = Some(list.remove(at));
                Ok(())
            })
            .await?;
        let removed = removed.ok_or(Error::Conflict)?;
        audit::succeeded("tooling_credential_revoked", user);
        let notify_error = self
            .mfa
            .tell_holder(
                &account,
                actor,
                SecurityEventKind::ToolingCredentialRevoked {
                    name: removed.name.clone(),
                },
            )
            .await;
        Ok(Notified {
            value: removed,
            notify_error,
        })
    }

    /// Authenticates a tool by the account's username and a tooling credential.
    ///
    /// Counted in the account's throttle before anything is checked (unknown usernames
    /// in their shared buckets), like a sign-in; every failure is the one
    /// [`Error::VerificationFailed`] (a password is not a tooling credential: refused,
    /// audited as `wrong_kind_of_secret`). A success records the time of use; it does not
    /// reset the throttle (only an interactive sign-in does).
    ///
    /// # Errors
    /// [`Error::VerificationFailed`].
    pub async fn authenticate_tool(&self, username: &str, secret: &Password) -> Result<ToolSignIn> {
        let (found, bucket) = self.find_typed(username).await;
        let account = found.ok().flatten();
        let user = match &account {
            Some(a) => a.id.clone(),
            None => bucket,
        };
        let holder: &dyn tessera_mfa::Account = match &account {
            Some(a) => a,
            None => &user,
        };
        let known = account.is_some().then_some(&user);
        let Some(attempt) = self
            .reserve_attempt(holder, "tool_sign_in_failed", known)
            .await
        else {
            return Err(Error::VerificationFailed);
        };
        let Some(account) = account else {
            audit::failed("tool_sign_in_failed", None, Reason::UnknownAccount);
            return Err(Error::VerificationFailed);
        };
        let typed = secret.expose().trim();
        if !well_formed(typed) {
            audit::failed(
                "tool_sign_in_failed",
                Some(&user),
                Reason::WrongKindOfSecret,
            );
            return Err(Error::VerificationFailed);
        }
        // Every stored credential is compared, in constant time each.
        let mut matched = None;
        for c in &account.lifecycle.tooling_credentials {
            let Ok(key_id) = KeyId::parse(&c.key_id) else {
                continue;
            };
            if let Some(t) = tag(&self.keyring, &key_id, &user, typed)
                && bool::from(hex(&t).as_bytes().ct_eq(c.tag.as_bytes()))
            {
                matched = Some(c.clone());
            }
        }
        let Some(credential) = matched else {
            audit::failed("tool_sign_in_failed", Some(&user), Reason::WrongPassword);
            return Err(Error::VerificationFailed);
        };
        let _ = self.mfa.attempt_passed(attempt).await;
        let now = self.now();
        // Best effort: a lost race loses a timestamp, never the sign-in.
        let _ = self
            .update_account(&user, |a| {
                if let Some(c) = a
                    .lifecycle
                    .tooling_credentials
                    .iter_mut()
                    .find(|c| c.id == credential.id)
                {
                    c.last_used_at = Some(now);
                }
                Ok(())
            })
            .await;
        audit::succeeded("tool_signed_in", &user);
        Ok(ToolSignIn {
            account: user,
            credential: credential.id,
            name: credential.name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_prefixed_base32_and_well_formed() {
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..100 {
            let s = generate_secret().unwrap();
            assert!(well_formed(s.expose()), "{}", s.expose());
            assert_eq!(s.expose().len(), TOOLING_PREFIX.len() + SECRET_LETTERS);
            seen.extend(s.expose()[TOOLING_PREFIX.len()..].chars());
        }
        assert_eq!(seen.len(), 32);
        for bad in [
            "",
            "tsr_",
            "correct horse battery staple",
            "tsr_ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
            "tsr_abcdefghijklmnopqrstuvwxyz23456",
            "tsr_abcdefghijklmnopqrstuvwxyz2345670",
            "tsx_abcdefghijklmnopqrstuvwxyz234567",
            "tsr_abcdefghijklmnopqrstuvwxyz23456!",
        ] {
            assert!(!well_formed(bad), "{bad}");
        }
        assert!(well_formed("tsr_abcdefghijklmnopqrstuvwxyz234567"));
    }

    proptest::proptest! {
        /// Any text is judged without panicking; only the prefix and 32 base32 letters pass.
        #[test]
        fn well_formed_accepts_exactly_the_generated_shape(s in "\\PC{0,50}") {
            let expected = s.len() == 36
                && s.starts_with(TOOLING_PREFIX)
                && s[4..].bytes().all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b));
            proptest::prop_assert_eq!(well_formed(&s), expected);
        }

        #[test]
        fn generated_shapes_pass(letters in "[a-z2-7]{32}") {
            let secret = format!("{TOOLING_PREFIX}{letters}");
            proptest::prop_assert!(well_formed(&secret));
        }

        #[test]
        fn names_never_panic_and_come_back_trimmed(s in "\\PC{0,80}") {
            if let Ok(name) = checked_name(&s) {
                proptest::prop_assert_eq!(name, s.trim());
            }
        }
    }

    #[test]
    fn names_are_checked() {
        assert_eq!(checked_name("  ci deploy ").unwrap(), "ci deploy");
        assert!(checked_name("").is_err());
        assert!(checked_name("a\tb").is_err());
        assert!(checked_name(&"n".repeat(MAX_TOOLING_NAME_LEN)).is_ok());
        assert!(checked_name(&"n".repeat(MAX_TOOLING_NAME_LEN + 1)).is_err());
    }

    #[test]
    fn debug_leaves_the_hash_out() {
        let c = ToolingCredential {
            id: "0011223344556677".into(),
            name: "ci".into(),
            created_at: UnixTime::EPOCH,
            last_used_at: None,
            key_id: "k1".into(),
            tag: "deadbeef".into(),
        };
        let shown = format!("{c:?}");
        assert!(
            shown.contains("ci") && !shown.contains("deadbeef"),
            "{shown}"
        );
    }
}
