//! QR codes read back by an independent decoder: `zbarimg` (Debian package zbar-tools)
//! decodes the PNG and must return the exact URI.
//!
//! Peer rule: without `zbarimg`, the test fails when `CI` is set and is skipped otherwise.
#![cfg(feature = "qr")]
// Tests: a panic is a failed test, which is what unwrap should do here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use tessera_otp::{Algorithm, HotpParams, KeyUri, OtpKind, QrCode, Secret};

fn zbarimg(png: &[u8], name: &str) -> Option<String> {
    let path = std::env::temp_dir().join(format!("tessera-qr-{}-{name}.png", std::process::id()));
    std::fs::write(&path, png).unwrap();
    let result = Command::new("zbarimg")
        .args(["--raw", "-q"])
        .arg(&path)
        .output();
    let _ = std::fs::remove_file(&path);
    match result {
        Ok(out) => {
            assert!(out.status.success(), "zbarimg found no code in {name}");
            let text = String::from_utf8(out.stdout).unwrap();
            // --raw ends the symbol with a newline.
            Some(text.strip_suffix('\n').unwrap_or(&text).to_owned())
        }
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "zbarimg is required under CI: {e}"
            );
            eprintln!("skipped: zbarimg not found ({e}); install zbar-tools");
            None
        }
    }
}

#[test]
fn zbarimg_reads_back_the_exact_uri() {
    let secret = Secret::from_bytes(&(0u8..64).collect::<Vec<_>>()).unwrap();
    let long = KeyUri::from_parts(
        OtpKind::Hotp { counter: 12_345 },
        "jürgen.müller+tessera@example.com",
        Some("Bäcker & Söhne GmbH"),
        secret,
        HotpParams::new(Algorithm::Sha512, 8).unwrap(),
    )
    .unwrap()
    .with_image("https://example.com/logo.png")
    .unwrap()
    .to_uri();
    let uris = [
        "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example".to_owned(),
        // Not canonical: QR codes carry the text exactly as given.
        "OTPAUTH://TOTP/ACME%20Co%3A%20john?secret=hxdm vjec jjws rb3h wizr 4ifu gftm xboz&issuer=ACME+Co&period=60".to_owned(),
        long,
    ];
    for (i, uri) in uris.iter().enumerate() {
        let png = QrCode::new(uri).unwrap().to_png().unwrap();
        let Some(decoded) = zbarimg(&png, &i.to_string()) else {
            return;
        };
        assert_eq!(&decoded, uri);
    }
}
