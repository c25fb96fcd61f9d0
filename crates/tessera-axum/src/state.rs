//! The handle the extractors reach through the application's state.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tessera::mfa::MfaStore;
use tessera::{AccountStore, Accounts, Assurance, Clock, DeviceStore, UnixTime};

use crate::TesseraConfig;

/// What the extractors need of the facade, whatever its stores and clock: the stamp
/// check of a kept session, and the facade's clock (so a test's `ManualClock` decides
/// the second factor's age too).
///
/// Object-safe on purpose: the extractors are plain types (`SignedIn`, not
/// `SignedIn<A, D, M, C>`), which an axum impl can only offer if the store types do
/// not appear in it.
trait SessionCheck: Send + Sync {
    fn check_session<'a>(
        &'a self,
        assurance: &'a Assurance,
    ) -> Pin<Box<dyn Future<Output = tessera::Result<()>> + Send + 'a>>;

    fn now(&self) -> UnixTime;
}

impl<A, D, M, C> SessionCheck for Accounts<A, D, M, C>
where
    A: AccountStore + 'static,
    D: DeviceStore + 'static,
    M: MfaStore + 'static,
    C: Clock + 'static,
{
    fn check_session<'a>(
        &'a self,
        assurance: &'a Assurance,
    ) -> Pin<Box<dyn Future<Output = tessera::Result<()>> + Send + 'a>> {
        Box::pin(Accounts::check_session(self, assurance))
    }

    fn now(&self) -> UnixTime {
        Accounts::now(self)
    }
}

/// The facade and the [`TesseraConfig`], for the extractors: put one in the
/// application's state and let axum find it with [`FromRef`](axum::extract::FromRef).
///
/// A handle: [`Clone`] costs two reference-count increments. The application keeps
/// its own [`Accounts`] handle for its handlers (the same stores); this one only checks
/// sessions.
///
/// ```
/// use axum::extract::FromRef;
/// use tessera::{InMemoryAccounts, SystemClock};
/// use tessera_axum::{TesseraConfig, TesseraState};
///
/// #[derive(Clone)]
/// struct AppState {
///     accounts: InMemoryAccounts,
///     tessera: TesseraState,
/// }
///
/// impl FromRef<AppState> for TesseraState {
///     fn from_ref(state: &AppState) -> Self {
///         state.tessera.clone()
///     }
/// }
///
/// let accounts = tessera::Accounts::in_memory("Example", SystemClock,
///     tessera::RecordingNotifier::new(), tessera::ConsoleDelivery)?;
/// let state = AppState {
///     tessera: TesseraState::new(accounts.clone(), TesseraConfig::default()),
///     accounts,
/// };
/// # let _ = state;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct TesseraState {
    sessions: Arc<dyn SessionCheck>,
    config: Arc<TesseraConfig>,
}

impl TesseraState {
    /// The extractors' handle on `accounts` (a clone of the application's facade),
    /// with `config`.
    pub fn new<A, D, M, C>(accounts: Accounts<A, D, M, C>, config: TesseraConfig) -> Self
    where
        A: AccountStore + 'static,
        D: DeviceStore + 'static,
        M: MfaStore + 'static,
        C: Clock + 'static,
    {
        Self {
            sessions: Arc::new(accounts),
            config: Arc::new(config),
        }
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &TesseraConfig {
        &self.config
    }

    /// The facade's current time.
    #[must_use]
    pub fn now(&self) -> UnixTime {
        self.sessions.now()
    }

    /// [`Accounts::check_session`] on the facade: whether a kept assurance is still
    /// valid (its account exists, its security stamp is the account's).
    ///
    /// # Errors
    /// As [`Accounts::check_session`].
    pub async fn check_session(&self, assurance: &Assurance) -> tessera::Result<()> {
        self.sessions.check_session(assurance).await
    }
}

impl fmt::Debug for TesseraState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TesseraState")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}
