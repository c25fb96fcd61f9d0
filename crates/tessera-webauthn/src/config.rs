//! The relying party's settings, validated by a builder (the argon2 shape).

use std::time::Duration;

use webauthn_rs::prelude::{AttestationCaList, Url, Uuid};

use crate::Error;

/// Whether the authenticator must verify the person (PIN, biometric), as WebAuthn's
/// `userVerification` (Level 3, §5.8.6), enforced on the response, not only asked for.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum UserVerification {
    /// Refuse any response without the UV flag. Registration and sign-in go through
    /// webauthn-rs's passkey ceremonies; keys without a PIN or biometric cannot enrol.
    Required,
    /// Ask for it and record whether it happened ([`KeyFlags::user_verified`]), but
    /// accept a key that only proves presence. The default: a security key used as the
    /// second factor after a password is the possession factor, and most FIDO U2F keys
    /// have no PIN. Turn on [`Required`](Self::Required) for passwordless sign-in.
    ///
    /// [`KeyFlags::user_verified`]: tessera_registry::KeyFlags::user_verified
    #[default]
    Preferred,
    /// Ask the authenticator not to verify (presence only): for kiosks and keys whose
    /// PIN prompts get in the way. webauthn-rs calls this "user presence only
    /// security keys" and discourages it.
    Discouraged,
}

/// A relying party's settings: what [`RelyingPartyBuilder::build`](crate::RelyingPartyBuilder)
/// checked, kept for the ceremonies.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub(crate) rp_id: String,
    pub(crate) rp_name: String,
    pub(crate) origins: Vec<Url>,
    pub(crate) user_verification: UserVerification,
    pub(crate) timeout: Duration,
    pub(crate) aaguids: Option<Vec<Uuid>>,
    pub(crate) roots: Option<AttestationCaList>,
    pub(crate) passwordless: bool,
}

/// Fewest seconds a ceremony may last: a person must find and touch the key.
pub const MIN_TIMEOUT: Duration = Duration::from_secs(30);
/// Most a ceremony may last: the state (and its challenge) is refused after this.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(600);
/// The default: WebAuthn's recommended five minutes (Level 3, §15.1).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);
/// Most origins a relying party accepts.
pub const MAX_ORIGINS: usize = 16;
/// Most AAGUIDs on an allow-list.
pub const MAX_AAGUIDS: usize = 256;

/// Checks one origin: an absolute `https://` URL (or `http://localhost` for
/// development) whose host is `rp_id` or a subdomain of it, with no path.
pub(crate) fn check_origin(rp_id: &str, origin: &str) -> Result<Url, Error> {
    let url = Url::parse(origin).map_err(|_| Error::InvalidConfig("an origin is not a url"))?;
    let Some(host) = url.domain() else {
        return Err(Error::InvalidConfig("an origin must have a domain name"));
    };
    let secure = url.scheme() == "https" || (url.scheme() == "http" && host == "localhost");
    if !secure {
        return Err(Error::InvalidConfig(
            "an origin must be https (http only for localhost)",
        ));
    }
    if !(url.path() == "/" && url.query().is_none() && url.fragment().is_none()) {
        return Err(Error::InvalidConfig(
            "an origin is a scheme, host and port only",
        ));
    }
    // The relying party id must be the origin's host or a registrable suffix of it
    // (WebAuthn Level 3, §5.1.3 step 8); the '.' keeps "myexample.com" from matching.
    if host != rp_id && !host.ends_with(&format!(".{rp_id}")) {
        return Err(Error::InvalidConfig(
            "an origin's host must be the relying party id or a subdomain of it",
        ));
    }
    Ok(url)
}

pub(crate) fn check_rp_id(rp_id: &str) -> Result<(), Error> {
    let ok = !rp_id.is_empty()
        && rp_id.len() <= 253
        && !rp_id.starts_with('.')
        && !rp_id.ends_with('.')
        && rp_id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidConfig(
            "the relying party id must be a lowercase domain name",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_must_belong_to_the_relying_party() {
        assert!(check_origin("example.com", "https://example.com").is_ok());
        assert!(check_origin("example.com", "https://login.example.com:8443").is_ok());
        assert!(check_origin("localhost", "http://localhost:3000").is_ok());
        for bad in [
            "https://myexample.com",
            "http://example.com",
            "https://example.com/login",
            "https://example.com/?a=b",
            "https://192.0.2.1",
            "example.com",
            "",
        ] {
            assert!(
                matches!(
                    check_origin("example.com", bad),
                    Err(Error::InvalidConfig(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn relying_party_ids_are_domain_names() {
        assert!(check_rp_id("example.com").is_ok());
        assert!(check_rp_id("localhost").is_ok());
        // Digits and hyphens are part of domain names.
        assert!(check_rp_id("login-2.example.com").is_ok());
        assert!(check_rp_id("2fa.example-3.net").is_ok());
        for bad in [
            "",
            ".example.com",
            "example.com.",
            "exa mple.com",
            "https://x",
            "Example.com",
        ] {
            assert!(check_rp_id(bad).is_err(), "{bad}");
        }
    }
}
