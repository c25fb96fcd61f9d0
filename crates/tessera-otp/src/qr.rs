//! QR codes of otpauth:// URIs, for showing a new key to its owner (feature `qr`).

use std::fmt;
use std::fmt::Write as _;

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::{Error, KeyUri};

/// A QR code holding an otpauth:// URI, ready to draw as SVG, PNG or terminal text.
///
/// The modules encode the secret, so they are zeroized on drop and `Debug` shows only
/// the size. Error correction is level M (15%), as authenticator enrolment pages
/// commonly use, falling back to L for long URIs.
///
/// ```
/// use tessera_otp::{KeyUri, QrCode, Secret, TotpParams};
/// let key = KeyUri::totp("alice", Some("Example"), Secret::generate(), TotpParams::DEFAULT)?;
/// let qr = QrCode::new(&key.to_uri())?;
/// assert!(qr.to_svg().starts_with("<svg"));
/// assert!(QrCode::new("https://example.com").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct QrCode {
    /// Row-major, `true` for a dark module; `width * width` entries.
    modules: Vec<bool>,
    width: usize,
}

impl QrCode {
    /// Light modules around the code on every side, as ISO/IEC 18004 requires.
    pub const QUIET_ZONE: usize = 4;
    /// Pixels per module in [`to_png`](Self::to_png): large enough for phone cameras and
    /// `zbarimg` to read the largest codes reliably.
    pub const PNG_SCALE: usize = 8;

    /// Encodes `uri`, exactly as given, after checking that it is a valid otpauth:// URI
    /// (see [`KeyUri::parse`]).
    ///
    /// # Errors
    /// The errors of [`KeyUri::parse`]; [`Error::QrCode`] when the URI does not fit in a
    /// QR code.
    pub fn new(uri: &str) -> Result<Self, Error> {
        KeyUri::parse(uri)?;
        let code = qrcode::QrCode::with_error_correction_level(uri, qrcode::EcLevel::M)
            .or_else(|_| qrcode::QrCode::with_error_correction_level(uri, qrcode::EcLevel::L))
            .map_err(|_| Error::QrCode("the uri is too long for a qr code"))?;
        let width = code.width();
        let modules = code
            .into_colors()
            .into_iter()
            .map(|c| c == qrcode::Color::Dark)
            .collect();
        Ok(Self { modules, width })
    }

    /// Modules on each side, without the quiet zone.
    #[must_use]
    pub const fn width(&self) -> usize {
        self.width
    }

    /// Whether the module at column `x`, row `y` is dark; coordinates may run into the
    /// quiet zone (negative or past the width), where every module is light.
    fn dark(&self, x: isize, y: isize) -> bool {
        let (Ok(x), Ok(y)) = (usize::try_from(x), usize::try_from(y)) else {
            return false;
        };
        // A column past the last would read the next row's first module, so it is refused
        // here; a row past the last gives an index past the end, which `get` refuses.
        x < self.width && self.modules.get(y * self.width + x) == Some(&true)
    }

    /// Modules on each side including the quiet zone, and the quiet zone as a signed offset.
    fn full_width(&self) -> (usize, isize) {
        let quiet = isize::try_from(Self::QUIET_ZONE).unwrap_or(4);
        (self.width + 2 * Self::QUIET_ZONE, quiet)
    }

    /// An SVG document, one unit per module, quiet zone included; it scales to any size.
    #[must_use]
    pub fn to_svg(&self) -> String {
        let (full, _) = self.full_width();
        let mut path = String::new();
        for y in 0..self.width {
            for x in 0..self.width {
                if self.modules.get(y * self.width + x) == Some(&true) {
                    let (px, py) = (x + Self::QUIET_ZONE, y + Self::QUIET_ZONE);
                    // Writing to a String cannot fail.
                    let _ = write!(path, "M{px},{py}h1v1h-1z");
                }
            }
        }
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" \
             viewBox=\"0 0 {full} {full}\" width=\"{px}\" height=\"{px}\" \
             shape-rendering=\"crispEdges\">\
             <rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\
             <path fill=\"#000000\" d=\"{path}\"/></svg>\n",
            px = full * Self::PNG_SCALE,
        )
    }

    /// A greyscale PNG, [`PNG_SCALE`](Self::PNG_SCALE) pixels per module, quiet zone
    /// included.
    ///
    /// # Errors
    /// [`Error::QrCode`] if the PNG encoder fails (it does not for these sizes).
    pub fn to_png(&self) -> Result<Vec<u8>, Error> {
        let (full, quiet) = self.full_width();
        let side = full * Self::PNG_SCALE;
        let mut pixels = vec![0xFFu8; side * side];
        for (row, line) in pixels.chunks_exact_mut(side).enumerate() {
            let y = isize::try_from(row / Self::PNG_SCALE).unwrap_or(0) - quiet;
            for (col, pixel) in line.iter_mut().enumerate() {
                let x = isize::try_from(col / Self::PNG_SCALE).unwrap_or(0) - quiet;
                if self.dark(x, y) {
                    *pixel = 0;
                }
            }
        }
        let side = u32::try_from(side).map_err(|_| Error::QrCode("image too large"))?;
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, side, side);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let failed = |_| Error::QrCode("png encoding failed");
        let mut writer = encoder.write_header().map_err(failed)?;
        writer.write_image_data(&pixels).map_err(failed)?;
        writer.finish().map_err(failed)?;
        pixels.zeroize();
        Ok(out)
    }

    /// Text for a terminal: two modules per character cell with Unicode half blocks,
    /// quiet zone included, one line per two rows, each line ending in `\n`.
    ///
    /// Drawn for light text on a dark background, as `qrencode -t UTF8` does: light
    /// modules (and the quiet zone) are printed blocks, dark modules are blank cells.
    #[must_use]
    pub fn to_terminal(&self) -> String {
        let (full, quiet) = self.full_width();
        let full = isize::try_from(full).unwrap_or(0);
        let mut out = String::new();
        // Two rows per line of text.
        for y in (-quiet..full - quiet).step_by(2) {
            for x in -quiet..full - quiet {
                let top_light = !self.dark(x, y);
                // The row below the last one is the terminal's own (dark) background.
                let bottom_light = y + 1 < full - quiet && !self.dark(x, y + 1);
                out.push(match (top_light, bottom_light) {
                    (true, true) => '█',
                    (true, false) => '▀',
                    (false, true) => '▄',
                    (false, false) => ' ',
                });
            }
            out.push('\n');
        }
        out
    }
}

impl fmt::Debug for QrCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QrCode")
            .field("width", &self.width)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URI: &str =
        "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Example";

    #[test]
    fn refuses_invalid_uris() {
        assert_eq!(
            QrCode::new("https://example.com").unwrap_err(),
            Error::NotOtpauthUri
        );
        assert!(QrCode::new("otpauth://totp/a?secret=JBSW&secret=JBSW").is_err());
        let long = format!(
            "otpauth://totp/{}?secret=JBSWY3DPEHPK3PXP",
            "a".repeat(3500)
        );
        assert_eq!(
            QrCode::new(&long).unwrap_err(),
            Error::QrCode("the uri is too long for a qr code")
        );
    }

    #[test]
    fn renders_with_quiet_zone() {
        let qr = QrCode::new(URI).unwrap();
        assert_eq!((qr.width() - 17) % 4, 0, "a QR width is 17 + 4 * version");
        assert!(!format!("{qr:?}").contains("true"));
        // The width only: the modules would show the code, and with it the secret.
        assert_eq!(
            format!("{qr:?}"),
            format!("QrCode {{ width: {}, .. }}", qr.width())
        );

        let text = qr.to_terminal();
        let lines: Vec<&str> = text.lines().collect();
        let full = qr.width() + 2 * QrCode::QUIET_ZONE;
        assert_eq!(lines.len(), full.div_ceil(2));
        assert!(lines.iter().all(|l| l.chars().count() == full));
        // The top two quiet-zone rows are light from edge to edge.
        assert!(lines[0].chars().all(|c| c == '█'));
        assert!(lines[1].chars().all(|c| c == '█'));
        // The finder pattern's top-left corner is dark: blank below a light row.
        let row2: Vec<char> = lines[2].chars().collect();
        assert_eq!(row2[3], '█');
        assert_eq!(row2[4], ' ');

        let svg = qr.to_svg();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert!(svg.contains(&format!("viewBox=\"0 0 {full} {full}\"")));
        assert!(svg.contains("M4,4h1v1h-1z"), "finder pattern corner");

        let png = qr.to_png().unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let side = u32::try_from(full * QrCode::PNG_SCALE).unwrap();
        assert_eq!(&png[16..20], &side.to_be_bytes(), "IHDR width");
    }

    /// The quiet zone is light on all four sides (ISO/IEC 18004 §6.3.8): nothing of the
    /// code leaks into it past the last column or row.
    #[test]
    fn quiet_zone_is_light_on_every_side() {
        let qr = QrCode::new(URI).unwrap();
        let text = qr.to_terminal();
        let lines: Vec<Vec<char>> = text.lines().map(|l| l.chars().collect()).collect();
        let q = QrCode::QUIET_ZONE;
        let (last, body) = lines.split_last().unwrap();
        for line in body {
            assert!(line[..q].iter().all(|&c| c == '█'), "{line:?}");
            assert!(line[line.len() - q..].iter().all(|&c| c == '█'), "{line:?}");
        }
        // The code is 17 + 4v modules, odd, so the last line's lower half is the
        // terminal's own background: light above it is '▀'.
        assert!(last.iter().all(|&c| c == '▀'), "{last:?}");
        for line in &lines[lines.len() - q / 2..lines.len() - 1] {
            assert!(line.iter().all(|&c| c == '█'), "{line:?}");
        }
    }
}
