//! Rotation: re-sealing every stored seed with the active key, page by page, and
//! counting what a key still seals before it is retired.

use tessera_keyring::KeyId;
use tessera_otp::Clock;

use crate::seal::Seeds;
use crate::{Credential, DeviceId, DeviceRegistry, DeviceStore, Error, StoreError, UserId};

/// Users loaded per page by [`DeviceRegistry::count_sealed_with`].
const COUNT_PAGE: usize = 256;

/// A seed [`DeviceRegistry::reseal_page`] could not open: it was left exactly as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnopenedSeed {
    /// Whose device it is.
    pub user: UserId,
    /// The device.
    pub device_id: DeviceId,
    /// The key that sealed it: load it into the keyring (if it is missing) and run the
    /// page again.
    pub key_id: KeyId,
}

/// What one [`DeviceRegistry::reseal_page`] call did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
#[must_use = "pass `next` to the following call until it is `None`"]
pub struct ResealPage {
    /// Users visited (loaded) on this page.
    pub users: u64,
    /// Seeds re-sealed with the active key and saved.
    pub resealed: u64,
    /// Seeds that could not be opened, left as stored.
    pub unopened: Vec<UnopenedSeed>,
    /// Where the next page starts (pass it as `after`); `None` when every user has
    /// been visited.
    pub next: Option<UserId>,
}

impl<S: DeviceStore, C: Clock> DeviceRegistry<S, C> {
    /// Re-seals with the active key every seed of up to `limit` users after `after`
    /// (in the store's order of user ids), and says where to resume.
    ///
    /// Run it after [`Keyring::activate`](tessera_keyring::Keyring::activate): start
    /// with `after = None` and pass each page's [`ResealPage::next`] until it is
    /// `None`. Each user is re-sealed with its own compare-and-set save (reloaded and
    /// retried on a conflict, [`RegistryConfig::max_attempts`](crate::RegistryConfig::max_attempts)
    /// times), so the run is safe beside live sign-ins and may stop and resume from
    /// any cursor: a user already re-sealed has nothing stale and is not written
    /// again. A seed that does not open is left as stored and listed in
    /// [`ResealPage::unopened`]. A `limit` of 0 is taken as 1.
    ///
    /// A page that returns exactly `limit` users gives a cursor even when it was the
    /// last: the next call then returns an empty page with `next: None`.
    ///
    /// # Errors
    /// [`Error::Conflict`] when a user kept changing through every retry,
    /// [`Error::Store`]. Users before the failing one are already re-sealed; resume
    /// from the same `after`.
    pub async fn reseal_page(
        &self,
        after: Option<&UserId>,
        limit: usize,
    ) -> Result<ResealPage, Error> {
        let limit = limit.max(1);
        let users = self.store().list_users(after, limit).await?;
        let mut page = ResealPage::default();
        for user in &users {
            self.reseal_user(user, &mut page).await?;
            page.users += 1;
        }
        page.next = if users.len() < limit {
            None
        } else {
            users.last().cloned()
        };
        Ok(page)
    }

    /// Re-seals one user's stale seeds with compare-and-set, retried on conflict.
    async fn reseal_user(&self, user: &UserId, page: &mut ResealPage) -> Result<(), Error> {
        let seeds = Seeds::new(self.keyring(), user);
        for _ in 0..self.config().max_attempts() {
            let mut loaded = self.store().load(user).await?;
            let done = seeds.reseal_stale(&mut loaded.value);
            if done.resealed > 0 {
                match self.store().save(user, &loaded).await {
                    Ok(_) => {}
                    Err(StoreError::Conflict) => continue,
                    Err(e) => return Err(Error::Store(e)),
                }
            }
            page.resealed += done.resealed;
            page.unopened
                .extend(
                    done.unopened
                        .into_iter()
                        .map(|(device_id, key_id)| UnopenedSeed {
                            user: user.clone(),
                            device_id,
                            key_id,
                        }),
                );
            return Ok(());
        }
        Err(Error::Conflict)
    }

    /// How many stored seeds `key` seals, over every user (a full paged scan): pass it
    /// to [`Keyring::retire`](tessera_keyring::Keyring::retire), which refuses to
    /// retire a key that still seals something.
    ///
    /// Once `key` is no longer active, nothing new is sealed with it, so a count of 0
    /// stays 0 (unless the key is made active again).
    ///
    /// # Errors
    /// [`Error::Store`].
    pub async fn count_sealed_with(&self, key: &KeyId) -> Result<u64, Error> {
        let mut count = 0u64;
        let mut after: Option<UserId> = None;
        loop {
            let users = self.store().list_users(after.as_ref(), COUNT_PAGE).await?;
            for user in &users {
                let loaded = self.store().load(user).await?;
                for device in &loaded.value {
                    if let Credential::Totp(cred) = &device.credential
                        && cred.sealed.key_id() == key
                    {
                        count += 1;
                    }
                }
            }
            if users.len() < COUNT_PAGE {
                return Ok(count);
            }
            after = users.last().cloned();
        }
    }
}
