//! Server key rotation: what still depends on a key, and pruning what is dead.
//!
//! Tags cannot be re-keyed: the codes and tokens they hash are not stored. So the
//! "re-seal" of the server key is a report: [`Mfa::count_tags_with`] counts the live
//! tags made under a key, for [`Keyring::retire`](tessera_keyring::Keyring::retire),
//! and [`Mfa::prune_expired`] drops the dead ones so stored state stops naming old keys.

use tessera_keyring::KeyId;
use tessera_otp::{Clock, UnixTime};
use tessera_registry::UserId;

use crate::state::Outcome;
use crate::{AccountState, Error, Mfa, MfaStore, Result, SecurityNotifier};

/// Most accounts per page of a scan ([`Mfa::prune_expired`]).
pub const MAX_SCAN_PAGE: usize = 1000;
/// Accounts per page when [`Mfa::count_tags_with`] walks the whole store.
const COUNT_PAGE: usize = 100;

/// One page of a resumable scan over every account.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Scan {
    /// Accounts looked at in this page.
    pub accounts: usize,
    /// What the page did: for [`Mfa::prune_expired`], the challenges and remembered
    /// devices dropped.
    pub count: u64,
    /// Where the next page starts (pass it as `after`); `None` when the scan is done.
    pub next: Option<UserId>,
}

impl AccountState {
    /// Live tags made under the server key `id` at `now`: unexpired challenges with
    /// attempts left, unused recovery codes, unexpired remembered devices.
    pub(crate) fn tags_with(&self, id: &KeyId, now: UnixTime) -> u64 {
        let challenges = self
            .challenges
            .iter()
            .filter(|c| &c.key_id == id && now < c.expires_at && c.attempts_left > 0)
            .count();
        let recovery = if &self.recovery.key_id == id {
            self.recovery.unused.len()
        } else {
            0
        };
        let remembered = self
            .remembered
            .iter()
            .filter(|d| &d.key_id == id && now < d.expires_at)
            .count();
        u64::try_from(challenges + recovery + remembered).unwrap_or(u64::MAX)
    }

    /// Drops expired or exhausted challenges and expired remembered devices; returns
    /// how many went.
    pub(crate) fn prune_expired(&mut self, now: UnixTime) -> u64 {
        let before = self.challenges.len() + self.remembered.len();
        self.challenges
            .retain(|c| now < c.expires_at && c.attempts_left > 0);
        self.remembered.retain(|d| now < d.expires_at);
        let after = self.challenges.len() + self.remembered.len();
        u64::try_from(before - after).unwrap_or(u64::MAX)
    }
}

impl<S: MfaStore, N: SecurityNotifier, C: Clock> Mfa<S, N, C> {
    /// How many live tags were made under the server key `id`, over every account of
    /// the store (a paged scan through [`MfaStore::list_accounts`]): unexpired email/SMS
    /// challenges, unused recovery codes and unexpired remembered devices. Expired ones
    /// do not count: they can never verify again (and [`Mfa::prune_expired`] drops
    /// them).
    ///
    /// Pass the result to [`Keyring::retire`](tessera_keyring::Keyring::retire), which
    /// refuses while it is not zero. Count only after every instance runs with another
    /// key active: then nothing new is tagged under `id`, so the count only falls
    /// (challenges expire within minutes, remembered devices within their lifetime,
    /// recovery sets when used up or regenerated). The scan is not a snapshot: an
    /// instance still tagging under `id` could add a tag behind it.
    ///
    /// # Errors
    /// Store errors.
    pub async fn count_tags_with(&self, id: &KeyId) -> Result<u64> {
        let mut total = 0u64;
        let mut after: Option<UserId> = None;
        loop {
            let page = self.store.list_accounts(after.as_ref(), COUNT_PAGE).await?;
            let now = self.clock.now();
            for user in &page {
                let state = self.account_state(user).await?;
                total = total.saturating_add(state.tags_with(id, now));
            }
            if page.len() < COUNT_PAGE {
                return Ok(total);
            }
            after = page.last().cloned();
        }
    }

    /// Drops expired or exhausted challenges and expired remembered devices from up to
    /// `limit` accounts after `after` (exclusive; `None` starts at the beginning), each
    /// with a conditional save (retried on conflict like every operation; an account
    /// with nothing to drop is not written). Resumable: pass the returned
    /// [`Scan::next`] as `after` until it is `None`. Emits no events.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for `limit` outside 1..=[`MAX_SCAN_PAGE`];
    /// [`Error::Conflict`]; store errors (the scan can resume from `after`).
    pub async fn prune_expired(&self, after: Option<&UserId>, limit: usize) -> Result<Scan> {
        if !(1..=MAX_SCAN_PAGE).contains(&limit) {
            return Err(Error::InvalidConfig(
                "a scan page must hold 1 to 1000 accounts",
            ));
        }
        let page = self.store.list_accounts(after, limit).await?;
        let mut count = 0u64;
        for user in &page {
            let dropped = self
                .modify(user, |state, now| {
                    let n = state.prune_expired(now);
                    Ok(if n > 0 {
                        Outcome::changed(n)
                    } else {
                        Outcome::unchanged(0)
                    })
                })
                .await?
                .into_value();
            count = count.saturating_add(dropped);
        }
        Ok(Scan {
            accounts: page.len(),
            count,
            next: (page.len() == limit)
                .then(|| page.last().cloned())
                .flatten(),
        })
    }
}

#[cfg(all(test, feature = "serde"))]
#[allow(clippy::unwrap_used)] // test fixtures: a panic is a failing test
mod tests {
    use super::*;
    use crate::codes::challenge::{ChallengeId, StoredChallenge};
    use crate::{MfaMethod, Purpose, RememberedDevice, RememberedDeviceId};
    use proptest::prelude::*;

    fn state(ids: &[KeyId; 3], tag: [u8; 32], at: u64) -> AccountState {
        let mut s = AccountState::default();
        s.challenges.push(StoredChallenge {
            id: ChallengeId::parse("00112233445566778899aabbccddeeff").unwrap(),
            method: MfaMethod::Email,
            destination: "email:a@example.com".into(),
            purpose: Purpose::SignIn,
            tag,
            key_id: ids[0].clone(),
            expires_at: UnixTime::from_secs(at),
            attempts_left: 3,
        });
        s.recovery.unused = vec![tag, tag];
        s.recovery.key_id = ids[1].clone();
        s.remembered.push(RememberedDevice {
            id: RememberedDeviceId::parse("0123456789abcdef").unwrap(),
            tag,
            key_id: ids[2].clone(),
            label: "x".into(),
            created_at: UnixTime::from_secs(0),
            expires_at: UnixTime::from_secs(at),
        });
        s
    }

    fn key_id() -> impl Strategy<Value = KeyId> {
        "[A-Za-z0-9_-]{1,32}".prop_map(|s| KeyId::parse(&s).unwrap())
    }

    proptest! {
        #[test]
        fn key_ids_round_trip_through_json(
            ids in proptest::array::uniform3(key_id()),
            tag in proptest::array::uniform32(any::<u8>()),
            at in 1u64..u64::MAX,
        ) {
            let s = state(&ids, tag, at);
            let json = serde_json::to_string(&s).unwrap();
            let back: AccountState = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(&back, &s);
            for id in &ids {
                let want = format!("\"key_id\":\"{id}\"");
                prop_assert!(json.contains(&want));
            }
            // And each id counts what it tagged, until it expires.
            let now = UnixTime::from_secs(at - 1);
            let total: u64 = ids
                .iter()
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .map(|id| back.tags_with(id, now))
                .sum();
            prop_assert_eq!(total, 4);
            let later = UnixTime::from_secs(at);
            // Expired: only the recovery set (which does not expire) still counts.
            prop_assert_eq!(back.tags_with(&ids[1], later), 2);
        }

        #[test]
        fn invalid_key_ids_are_refused_by_serde(bad in "[^A-Za-z0-9_-]{1,8}") {
            let ids = [key_id_of("a"), key_id_of("b"), key_id_of("c")];
            let json = serde_json::to_string(&state(&ids, [0; 32], 9)).unwrap();
            let json = json.replace("\"key_id\":\"a\"", &format!("\"key_id\":{}", serde_json::to_string(&bad).unwrap()));
            prop_assert!(serde_json::from_str::<AccountState>(&json).is_err());
        }
    }

    fn key_id_of(s: &str) -> KeyId {
        KeyId::parse(s).unwrap()
    }

    #[test]
    fn a_live_challenge_counts_and_stays_until_its_expiry_instant() {
        let id = key_id_of("k");
        let ids = [id.clone(), id.clone(), id.clone()];
        let mut s = state(&ids, [0; 32], 100);
        // One second before: all four count, nothing is pruned.
        assert_eq!(s.tags_with(&id, UnixTime::from_secs(99)), 4);
        assert_eq!(s.prune_expired(UnixTime::from_secs(99)), 0);
        // At the instant: the challenge (attempts left) and the device are dead.
        assert_eq!(s.tags_with(&id, UnixTime::from_secs(100)), 2);
        assert_eq!(s.prune_expired(UnixTime::from_secs(100)), 2);
        assert!(s.challenges.is_empty() && s.remembered.is_empty());
    }

    #[test]
    fn exhausted_and_expired_do_not_count_and_are_pruned() {
        let id = key_id_of("k");
        let ids = [id.clone(), id.clone(), id.clone()];
        let mut s = state(&ids, [0; 32], 100);
        assert_eq!(s.tags_with(&id, UnixTime::from_secs(99)), 4);
        assert_eq!(s.tags_with(&key_id_of("other"), UnixTime::from_secs(99)), 0);
        s.challenges[0].attempts_left = 0;
        assert_eq!(s.tags_with(&id, UnixTime::from_secs(99)), 3);
        assert_eq!(s.prune_expired(UnixTime::from_secs(99)), 1);
        // At the expiry instant a remembered device is dead (valid while now < expiry).
        assert_eq!(s.tags_with(&id, UnixTime::from_secs(100)), 2);
        assert_eq!(s.prune_expired(UnixTime::from_secs(100)), 1);
        assert_eq!(s.prune_expired(UnixTime::from_secs(100)), 0);
        assert_eq!(s.tags_with(&id, UnixTime::from_secs(100)), 2);
    }
}
