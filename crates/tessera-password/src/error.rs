//! The crate's one error type.

/// What went wrong while configuring a policy or hashing and verifying passwords.
///
/// A password that breaks the policy is not an error: [`crate::PasswordPolicy::validate`]
/// returns [`crate::Violations`] for that. Messages never contain a password, a pepper or a
/// hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A policy setting is outside its documented bounds.
    #[error("invalid password policy: {0}")]
    InvalidPolicy(&'static str),
    /// The organisation's regular expression does not compile.
    #[error("invalid password policy: the pattern is not a valid regular expression")]
    InvalidPattern,
    /// Hashing parameters are outside their documented bounds.
    #[error("invalid hash parameters: {0}")]
    InvalidHashParams(&'static str),
    /// The pepper or its key id has an unsupported length.
    #[error("invalid pepper: {0}")]
    InvalidPepper(&'static str),
    /// The password is longer than [`crate::MAX_PASSWORD_BYTES`]; it is refused before any
    /// hashing work is done.
    #[error("password is longer than {max_bytes} bytes")]
    PasswordTooLong {
        /// The bound, in bytes of UTF-8.
        max_bytes: usize,
    },
    /// A stored hash is not a well-formed PHC string.
    #[error("stored password hash is not a valid PHC string")]
    MalformedHash,
    /// A stored hash names an algorithm or version other than Argon2 (i, d, id; v=16 or v=19).
    #[error("stored password hash uses an unsupported algorithm or version")]
    UnsupportedAlgorithm,
    /// A stored hash asks for more memory, passes or lanes than this crate will spend.
    #[error("stored password hash has parameters outside the accepted bounds")]
    HashParamsOutOfRange,
    /// A stored hash was made with a pepper whose key id this hasher does not hold.
    #[error("stored password hash was made with an unknown pepper")]
    UnknownPepper,
    /// The operating system's random number generator failed.
    #[error("random number generator failure")]
    Rng,
    /// Argon2 itself failed (for example, memory could not be allocated).
    #[error("password hashing failed")]
    Hashing,
}
