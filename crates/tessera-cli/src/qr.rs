//! `tessera qr`.

use tessera_otp::QrCode;

use crate::Failure;
use crate::args::QrArgs;
use crate::output;

pub(crate) fn qr(a: &QrArgs) -> Result<(), Failure> {
    let qr = QrCode::new(&a.uri)?;
    let write = |path: &std::path::Path, bytes: &[u8]| {
        std::fs::write(path, bytes).map_err(|e| {
            Failure::Input(format!("could not write {}: {}", path.display(), e.kind()))
        })
    };
    if let Some(path) = &a.svg {
        write(path, qr.to_svg().as_bytes())
    } else if let Some(path) = &a.png {
        write(path, &qr.to_png()?)
    } else {
        output::raw(&qr.to_terminal());
        Ok(())
    }
}
