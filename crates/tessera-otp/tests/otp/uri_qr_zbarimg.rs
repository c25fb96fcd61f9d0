//! QR codes read back by an independent decoder: `zbarimg` (Debian package zbar-tools)
//! decodes the PNG, and the terminal and SVG drawings turned back into pixels, and must
//! return the exact URI each time.
//!
//! Peer rule: without `zbarimg`, the test fails when `CI` is set and is skipped otherwise.

use std::process::Command;

use tessera_otp::{Algorithm, HotpParams, KeyUri, OtpKind, QrCode, Secret};

use crate::common::peer;

/// Decodes an image file's bytes (`name` carries the extension zbarimg goes by).
fn zbarimg(image: &[u8], name: &str) -> Option<String> {
    let path = std::env::temp_dir().join(format!("tessera-qr-{}-{name}", std::process::id()));
    std::fs::write(&path, image).unwrap();
    let result = peer(
        Command::new("zbarimg").args(["--raw", "-q"]).arg(&path),
        "apt-get install zbar-tools",
    );
    let _ = std::fs::remove_file(&path);
    let out = result?;
    assert!(out.status.success(), "zbarimg found no code in {name}");
    let text = String::from_utf8(out.stdout).unwrap();
    // --raw ends the symbol with a newline.
    Some(text.strip_suffix('\n').unwrap_or(&text).to_owned())
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

/// A binary PGM of a grid of modules (`true` = light), 8 pixels per module.
fn pgm(rows: &[Vec<bool>]) -> Vec<u8> {
    const SCALE: usize = 8;
    let (h, w) = (rows.len(), rows[0].len());
    let mut out = format!("P5\n{} {}\n255\n", w * SCALE, h * SCALE).into_bytes();
    for row in rows {
        let line: Vec<u8> = row
            .iter()
            .flat_map(|&light| [if light { 255 } else { 0 }; SCALE])
            .collect();
        for _ in 0..SCALE {
            out.extend_from_slice(&line);
        }
    }
    out
}

const URI: &str = "otpauth://totp/ACME%20Co:john.doe%40email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA256&digits=8&period=60";

#[test]
fn zbarimg_reads_the_terminal_drawing() {
    // Each character is two modules: light on top (█ ▀) and light below (█ ▄).
    let text = QrCode::new(URI).unwrap().to_terminal();
    let mut rows = Vec::new();
    for line in text.lines() {
        rows.push(line.chars().map(|c| matches!(c, '█' | '▀')).collect());
        rows.push(line.chars().map(|c| matches!(c, '█' | '▄')).collect());
    }
    let Some(decoded) = zbarimg(&pgm(&rows), "terminal.pgm") else {
        return;
    };
    assert_eq!(decoded, URI);
}

#[test]
fn zbarimg_reads_the_svg_drawing() {
    // The SVG is a white square with one unit-square subpath "M{x},{y}h1v1h-1z" per dark
    // module; rasterise it by reading those back.
    let qr = QrCode::new(URI).unwrap();
    let svg = qr.to_svg();
    let full = qr.width() + 2 * QrCode::QUIET_ZONE;
    assert!(svg.contains(&format!("viewBox=\"0 0 {full} {full}\"")));
    let path = svg
        .split(" d=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let mut rows = vec![vec![true; full]; full];
    for square in path.split('M').filter(|s| !s.is_empty()) {
        let coords = square.strip_suffix("h1v1h-1z").unwrap();
        let (x, y) = coords.split_once(',').unwrap();
        rows[y.parse::<usize>().unwrap()][x.parse::<usize>().unwrap()] = false;
    }
    let Some(decoded) = zbarimg(&pgm(&rows), "svg.pgm") else {
        return;
    };
    assert_eq!(decoded, URI);
}
