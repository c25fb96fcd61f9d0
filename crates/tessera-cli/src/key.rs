//! `tessera key generate`: a new key for the keyring.

use std::io::Write as _;

use tessera_keyring::{Key, KeyId};
use tessera_otp::Clock as _;
use zeroize::Zeroizing;

use crate::Failure;
use crate::args::KeyGenerateArgs;

pub(crate) fn generate(a: &KeyGenerateArgs) -> Result<(), Failure> {
    let id = match &a.id {
        Some(id) => id.clone(),
        None => year_month(tessera_otp::SystemClock.now().as_secs()),
    };
    let id = KeyId::parse(&id).map_err(|e| Failure::Input(e.to_string()))?;
    let key = Key::generate().map_err(|e| Failure::Input(e.to_string()))?;
    let line = Zeroizing::new(format!("{id}={}\n", key.to_base64().as_str()));
    std::io::stdout()
        .write_all(line.as_bytes())
        .map_err(|e| Failure::Input(format!("writing the key failed: {e}")))
}

/// `YYYY-MM` of a Unix time (UTC), the default key id: the start of the RFC 3339 text
/// the notices use.
fn year_month(unix: u64) -> String {
    let text = tessera::mfa::UtcTime::new(tessera_otp::UnixTime::from_secs(unix)).rfc3339();
    text.get(..7).unwrap_or(&text).to_owned()
}

#[cfg(test)]
mod tests {
    use super::year_month;

    #[test]
    fn year_month_of_known_instants() {
        assert_eq!(year_month(0), "1970-01");
        assert_eq!(
            year_month(951_782_400),
            "2000-02-29".get(..7).unwrap_or_default()
        );
        assert_eq!(year_month(1_767_225_600), "2026-01"); // 2026-01-01T00:00:00Z
        assert_eq!(year_month(1_767_225_599), "2025-12");
        assert_eq!(year_month(1_796_083_200 + 86_399), "2026-12");
    }
}
