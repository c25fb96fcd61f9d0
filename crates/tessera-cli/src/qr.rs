//! `tessera qr`.

use tessera_otp::QrCode;

use crate::Failure;
use crate::args::QrArgs;
use crate::{output, private_file};

pub(crate) fn qr(a: &QrArgs) -> Result<(), Failure> {
    let qr = QrCode::new(&a.uri)?;
    // The image carries the seed: created 0600 from the start (see private_file).
    let write = private_file::write;
    if let Some(path) = &a.svg {
        write(path, qr.to_svg().as_bytes())
    } else if let Some(path) = &a.png {
        write(path, &qr.to_png()?)
    } else {
        output::raw(&qr.to_terminal());
        Ok(())
    }
}
