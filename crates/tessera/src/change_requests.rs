//! Changes by request: where the organisation does not let holders remove or replace a
//! factor themselves ([`OrgPolicy`](tessera_mfa::OrgPolicy) without self-service
//! removal, "for security and auditing purposes"), the holder asks and a named
//! administrator approves (and the change is carried out) or rejects, each step an audit
//! event and a notice to the holder.
//!
//! Requests are kept on the account record: at most [`MAX_PENDING_CHANGE_REQUESTS`]
//! pending, and the newest [`MAX_KEPT_CHANGE_REQUESTS`] in all (decided ones are the
//! history a Credentials page shows).

use tessera_mfa::{Actor, MfaStore, Notified, SecurityEventKind};
use tessera_otp::{Clock, UnixTime};
use tessera_registry::{DeviceId, DeviceStore, UserId};

use crate::audit;
use crate::{AccountStore, Accounts, AdminAction, Assurance, Error, Result};

/// Most change requests pending per account.
pub const MAX_PENDING_CHANGE_REQUESTS: usize = 4;
/// Most change requests kept per account, pending and decided.
pub const MAX_KEPT_CHANGE_REQUESTS: usize = 16;
/// Longest note a holder adds to a request, in characters.
pub const MAX_CHANGE_NOTE_LEN: usize = 500;

/// A change of factors a holder may ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum FactorChange {
    /// Remove this device (lost, broken, replaced by a new one already added).
    RemoveDevice {
        /// The device.
        device: DeviceId,
    },
    /// Every factor is lost: reset the account's MFA
    /// ([`Accounts::admin_reset_mfa`]).
    ResetMfa,
}

/// An administrator's decision on a request.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
#[non_exhaustive]
pub struct Decision {
    /// Approved (and carried out) or rejected.
    pub approved: bool,
    /// The administrator's identifier.
    pub by: String,
    /// The reason they gave.
    pub reason: String,
    /// When.
    pub at: UnixTime,
}

/// A holder's request for a change of factors.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct ChangeRequest {
    id: String,
    change: FactorChange,
    /// The device's name when the request was made, for the notices.
    label: String,
    note: String,
    requested_at: UnixTime,
    decision: Option<Decision>,
}

impl ChangeRequest {
    /// Its id (16 hex digits).
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// What is asked.
    #[must_use]
    pub fn change(&self) -> FactorChange {
        self.change
    }

    /// The holder's note.
    #[must_use]
    pub fn note(&self) -> &str {
        &self.note
    }

    /// When it was asked.
    #[must_use]
    pub fn requested_at(&self) -> UnixTime {
        self.requested_at
    }

    /// The decision, once made.
    #[must_use]
    pub fn decision(&self) -> Option<&Decision> {
        self.decision.as_ref()
    }

    /// Whether it waits for a decision.
    #[must_use]
    pub fn is_pending(&self) -> bool {
        self.decision.is_none()
    }

    /// The request in words, for notices.
    fn described(&self) -> String {
        match self.change {
            FactorChange::RemoveDevice { .. } => format!("remove the device “{}”", self.label),
            FactorChange::ResetMfa => "reset two-step verification".to_owned(),
        }
    }
}

impl<A: AccountStore, D: DeviceStore, M: MfaStore, C: Clock> Accounts<A, D, M, C> {
    /// The holder asks for `change`, with a note for the administrators. Needs the
    /// fresh authentication of binding a factor (an attacker holding a stale session
    /// cannot file one). The holder is told.
    ///
    /// # Errors
    /// The binding errors; [`Error::ManagedByIdentityProvider`];
    /// [`Error::InvalidChangeRequest`] for an unknown device, a note too long or with
    /// control characters, the same change already pending, or
    /// [`MAX_PENDING_CHANGE_REQUESTS`] pending; store errors.
    pub async fn request_factor_change(
        &self,
        assurance: &Assurance,
        change: FactorChange,
        note: &str,
    ) -> Result<Notified<ChangeRequest>> {
        let note = crate::account::clean_text(note, 0, MAX_CHANGE_NOTE_LEN).ok_or(
            Error::InvalidChangeRequest(
                "the note must be at most 500 characters without control characters",
            ),
        )?;
        let account = self.require_binding(assurance).await?;
        if let Some(provider) = &account.identity_provider {
            return Err(Error::ManagedByIdentityProvider {
                provider: provider.clone(),
            });
        }
        let label = match change {
            FactorChange::RemoveDevice { device } => self
                .registry
                .list(&account.id)
                .await?
                .into_iter()
                .find(|d| d.id == device)
                .map(|d| d.name.to_string())
                .ok_or(Error::InvalidChangeRequest(
                    "the account has no such device",
                ))?,
            FactorChange::ResetMfa => String::new(),
        };
        let request = ChangeRequest {
            id: crate::account::random_hex_id()?,
            change,
            label,
            note: note.to_owned(),
            requested_at: self.now(),
            decision: None,
        };
        self.update_account(&account.id, |a| {
            let list = &mut a.lifecycle.change_requests;
            let pending = || list.iter().filter(|r| r.is_pending());
            if pending().any(|r| r.change == change) {
                return Err(Error::InvalidChangeRequest(
                    "the same change is already pending",
                ));
            }
            if pending().count() >= MAX_PENDING_CHANGE_REQUESTS {
                return Err(Error::InvalidChangeRequest(
                    "too many requests are pending; wait for a decision",
                ));
            }
            list.push(request.clone());
            // Forget the oldest decided ones beyond the bound; pending ones stay.
            while list.len() > MAX_KEPT_CHANGE_REQUESTS {
                match list.iter().position(|r| !r.is_pending()) {
                    Some(oldest) => {
                        list.remove(oldest);
                    }
                    None => break,
                }
            }
            Ok(())
        })
        .await?;
        audit::succeeded("factor_change_requested", &account.id);
        let notify_error = self
            .mfa
            .tell_holder(
                &account,
                Actor::AccountHolder,
                SecurityEventKind::FactorChangeRequested {
                    change: request.described(),
                },
            )
            .await;
        Ok(Notified {
            value: request,
            notify_error,
        })
    }

    /// The signed-in account's change requests, oldest first.
    ///
    /// # Errors
    /// [`Error::SessionRevoked`]; store errors.
    pub async fn change_requests(&self, assurance: &Assurance) -> Result<Vec<ChangeRequest>> {
        Ok(self.authorize(assurance).await?.lifecycle.change_requests)
    }

    /// An account's change requests, for an administrator.
    ///
    /// # Errors
    /// [`Error::AccountNotFound`]; store errors.
    pub async fn admin_change_requests(&self, account: &UserId) -> Result<Vec<ChangeRequest>> {
        Ok(self.load(account).await?.value.lifecycle.change_requests)
    }

    /// A named administrator approves a pending request: the change is carried out
    /// ([`admin_remove_device`](Self::admin_remove_device) or
    /// [`admin_reset_mfa`](Self::admin_reset_mfa), with their events), then the decision
    /// is recorded and the holder told. A device already gone counts as removed, so an
    /// approval interrupted between the two steps can be given again.
    ///
    /// # Errors
    /// [`Error::AccountNotFound`]; [`Error::InvalidChangeRequest`] for an unknown or
    /// decided request; the change's own errors; store errors.
    pub async fn approve_change_request(
        &self,
        action: &AdminAction,
        account: &UserId,
        id: &str,
    ) -> Result<Notified<ChangeRequest>> {
        let request = self.pending_request(account, id).await?;
        let carried_out = match request.change {
            FactorChange::RemoveDevice { device } => {
                match self
                    .admin_remove_device(action.admin(), account, device)
                    .await
                {
                    Ok(n) => n.notify_error,
                    Err(Error::Registry(tessera_registry::Error::DeviceNotFound)) => None,
                    Err(e) => return Err(e),
                }
            }
            FactorChange::ResetMfa => self.admin_reset_mfa(action, account).await?.notify_error,
        };
        let mut decided = self.decide(action, account, id, true).await?;
        decided.notify_error = decided.notify_error.or(carried_out);
        Ok(decided)
    }

    /// A named administrator rejects a pending request: nothing changes but the
    /// record; the holder is told.
    ///
    /// # Errors
    /// [`Error::AccountNotFound`]; [`Error::InvalidChangeRequest`] for an unknown or
    /// decided request; store errors.
    pub async fn reject_change_request(
        &self,
        action: &AdminAction,
        account: &UserId,
        id: &str,
    ) -> Result<Notified<ChangeRequest>> {
        // The decision's own conditional save finds the pending request or refuses.
        self.decide(action, account, id, false).await
    }

    async fn pending_request(&self, account: &UserId, id: &str) -> Result<ChangeRequest> {
        self.load(account)
            .await?
            .value
            .lifecycle
            .change_requests
            .into_iter()
            .find(|r| r.id == id && r.is_pending())
            .ok_or(Error::InvalidChangeRequest(
                "no pending change request has this id",
            ))
    }

    async fn decide(
        &self,
        action: &AdminAction,
        account: &UserId,
        id: &str,
        approved: bool,
    ) -> Result<Notified<ChangeRequest>> {
        let decision = Decision {
            approved,
            by: action.admin().to_owned(),
            reason: action.reason().to_owned(),
            at: self.now(),
        };
        let mut decided = None;
        let stored = self
            .update_account(account, |a| {
                let request = a
                    .lifecycle
                    .change_requests
                    .iter_mut()
                    .find(|r| r.id == id && r.is_pending())
                    .ok_or(Error::InvalidChangeRequest(
                        "no pending change request has this id",
                    ))?;
                request.decision = Some(decision.clone());
                decided = Some(request.clone());
                Ok(())
            })
            .await?;
        let decided = decided.ok_or(Error::Conflict)?;
        let event = if approved {
            "factor_change_approved"
        } else {
            "factor_change_rejected"
        };
        audit::admin_action(event, account, action);
        let notify_error = self
            .mfa
            .tell_holder(
                &stored,
                Actor::administrator(action.admin()),
                SecurityEventKind::FactorChangeDecided {
                    change: decided.described(),
                    approved,
                },
            )
            .await;
        Ok(Notified {
            value: decided,
            notify_error,
        })
    }
}
