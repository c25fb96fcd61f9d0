//! The pure changes to a user's devices: every registry operation is one of these
//! between a load and a conditional save. No I/O, no clock, no async: each takes the
//! instant and the configuration, and either changes the devices or returns an error
//! (after which the registry saves nothing).

use tessera_otp::{
    Algorithm, Code, Drift, Rejected, Secret, TimeStep, Totp, TotpParams, UnixTime, VerifyOptions,
};

use crate::fido::counter_acceptable;
use crate::seal::Seeds;
use crate::{
    ActivationPolicy, AssertionVerified, CodeReuse, Credential, Device, DeviceId, DeviceInfo,
    DeviceKind, DeviceName, DeviceState, DeviceStatus, Error, KeyFlags, MfaStatus, RegistryConfig,
    Rejection, SecurityKey, TotpCredential, Verified,
};

/// Most characters in a hardware token's serial number.
pub(crate) const MAX_SERIAL_LEN: usize = 64;

fn find_mut(devices: &mut [Device], id: DeviceId) -> Result<&mut Device, Error> {
    devices
        .iter_mut()
        .find(|d| d.id == id)
        .ok_or(Error::DeviceNotFound)
}

/// Drops pending devices whose enrolment expired, freeing their slots.
fn prune_expired(devices: &mut Vec<Device>, now: UnixTime) {
    devices.retain(|d| d.status(now) != DeviceStatus::Expired);
}

/// Checks room and name for a new device (after pruning expired enrolments).
fn admit(
    devices: &mut Vec<Device>,
    name: &DeviceName,
    now: UnixTime,
    config: &RegistryConfig,
) -> Result<DeviceId, Error> {
    prune_expired(devices, now);
    if devices.len() >= config.max_devices() {
        return Err(Error::TooManyDevices {
            max: config.max_devices(),
        });
    }
    check_name(devices, name, None)?;
    // 128 random bits never collide in practice; the loop makes "never" exact per user.
    loop {
        let id = DeviceId::random();
        if devices.iter().all(|d| d.id != id) {
            return Ok(id);
        }
    }
}

fn check_name(
    devices: &[Device],
    name: &DeviceName,
    except: Option<DeviceId>,
) -> Result<(), Error> {
    if devices
        .iter()
        .any(|d| Some(d.id) != except && d.name.collides(name))
    {
        return Err(Error::DuplicateName);
    }
    Ok(())
}

fn parse_codes(codes: &[&str], digits: u8) -> Result<Vec<Code>, Error> {
    codes
        .iter()
        .map(|c| Code::parse(c, digits).map_err(Error::from))
        .collect()
}

/// Checks activation codes for `cred` under the policy; returns the step to store as
/// used and the drift found.
///
/// Some authenticator apps ignore the otpauth:// `algorithm` parameter and compute
/// SHA-1 whatever they are told. Accepting their codes would be impossible (they do not
/// verify), but a bare [`Error::Rejected`] leaves the person retrying forever. So when
/// codes for a SHA-256 or SHA-512 key fail, and only then, the same codes are checked
/// once more under SHA-1 (same secret, digits, period, window or search range); a match
/// is refused as [`Error::AppIgnoresAlgorithm`], never accepted.
fn check_activation(
    cred: &TotpCredential,
    secret: &Secret,
    codes: &[&str],
    now: UnixTime,
    config: &RegistryConfig,
) -> Result<(TimeStep, Drift), Error> {
    let policy = config.activation();
    if codes.len() != policy.codes() {
        return Err(Error::ActivationCodes {
            expected: policy.codes(),
            found: codes.len(),
        });
    }
    let codes = parse_codes(codes, cred.params.digits())?;
    match check_activation_codes(cred, secret, cred.params, &codes, now, config) {
        Err(Error::Rejected) if cred.params.algorithm() != Algorithm::Sha1 => {
            let issued = cred.params.algorithm();
            let sha1 = TotpParams::new(
                Algorithm::Sha1,
                u32::from(cred.params.digits()),
                cred.params.period(),
                cred.params.t0(),
            )?;
            // A wrong code matches under SHA-1 by chance as often as under the issued
            // hash (3 in 10^6 for one 6-digit code and ±1): then the advice to enrol
            // again is harmless, and nothing is accepted either way.
            match check_activation_codes(cred, secret, sha1, &codes, now, config) {
                Ok(_) => Err(Error::AppIgnoresAlgorithm { issued }),
                Err(_) => Err(Error::Rejected),
            }
        }
        other => other,
    }
}

/// The activation check proper, under `params` (the issued ones, or SHA-1 to diagnose).
fn check_activation_codes(
    cred: &TotpCredential,
    secret: &Secret,
    params: TotpParams,
    codes: &[Code],
    now: UnixTime,
    config: &RegistryConfig,
) -> Result<(TimeStep, Drift), Error> {
    let policy = config.activation();
    let totp = Totp::new(secret, params);
    match (policy, codes) {
        (ActivationPolicy::OneCode, [code]) => {
            let options = VerifyOptions::new().window(config.window());
            let step = totp
                .verify(code, now, cred.last_used_step, options)
                .map_err(|Rejected| Error::Rejected)?;
            Ok((step, Drift::ZERO))
        }
        (ActivationPolicy::TwoConsecutiveCodes, [first, second]) => {
            // Two consecutive codes are strong evidence (about 1 in 10^12 by chance), so
            // the search may span the resync range and records the device's drift.
            let found = totp
                .resync(
                    first,
                    second,
                    now,
                    config.resync_range(),
                    cred.last_used_step,
                )
                .map_err(|e| match e {
                    tessera_otp::Error::ResyncFailed => Error::Rejected,
                    other => Error::Otp(other),
                })?;
            Ok((found.last_used, found.drift))
        }
        _ => Err(Error::ActivationCodes {
            expected: policy.codes(),
            found: codes.len(),
        }),
    }
}

/// An app enrolment to start: its name and fresh secret, when, under which
/// configuration, sealed with whose seeds. One value for [`enrol_app`] and
/// [`start_app`], which take the same five things.
#[derive(Clone, Copy)]
pub(crate) struct NewApp<'a> {
    /// The name the person gave.
    pub(crate) name: &'a DeviceName,
    /// The secret to store, sealed, if a new app is added.
    pub(crate) secret: &'a Secret,
    /// The time of the change.
    pub(crate) now: UnixTime,
    /// The registry's configuration (slots, expiry, TOTP parameters).
    pub(crate) config: &'a RegistryConfig,
    /// The user's seeds, to seal the secret with.
    pub(crate) seeds: Seeds<'a>,
}

/// Adds a pending authenticator app with a fresh secret.
pub(crate) fn enrol_app(devices: &mut Vec<Device>, app: NewApp<'_>) -> Result<DeviceId, Error> {
    let NewApp {
        name,
        secret,
        now,
        config,
        seeds,
    } = app;
    let id = admit(devices, name, now, config)?;
    let sealed = seeds.seal(id, secret)?;
    let name = name.clone();
    devices.push(Device {
        id,
        name,
        kind: DeviceKind::AuthenticatorApp,
        state: DeviceState::Pending {
            expires_at: now.saturating_add(config.pending_ttl()),
        },
        created_at: now,
        activated_at: None,
        last_used_at: None,
        credential: Credential::Totp(TotpCredential {
            sealed,
            params: config.totp_params(),
            serial: None,
            last_used_step: None,
            drift: Drift::ZERO,
        }),
    });
    Ok(id)
}

/// What [`start_app`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Started {
    /// A new pending app, with the secret given.
    New(DeviceId),
    /// The user's pending app of that name, unchanged: resume it with [`resume_app`]
    /// (its own secret, a renewed expiry).
    Resumed(DeviceId),
}

/// Starts enrolling an app named `name`: finds the user's pending app of that name (a
/// reloaded enrolment page) to resume, else adds a new pending app with `secret`.
///
/// Only a pending app that has not expired is resumed; an active device of that name
/// is still [`Error::DuplicateName`], and an expired enrolment is pruned first, so its
/// name and slot are free for a fresh secret.
pub(crate) fn start_app(devices: &mut Vec<Device>, app: NewApp<'_>) -> Result<Started, Error> {
    prune_expired(devices, app.now);
    let pending = devices.iter().find(|d| {
        d.name.collides(app.name)
            && d.kind == DeviceKind::AuthenticatorApp
            && matches!(d.status(app.now), DeviceStatus::Pending { .. })
    });
    if let Some(d) = pending {
        return Ok(Started::Resumed(d.id));
    }
    enrol_app(devices, app).map(Started::New)
}

/// A pending app's enrolment again: its seed opened, its parameters, and its expiry
/// renewed to a full [`RegistryConfig::pending_ttl`] from `now` (the person is looking
/// at it now).
///
/// The secret is the one already shown: an app that scanned it before the reload
/// still computes the right codes.
pub(crate) fn resume_app(
    devices: &mut [Device],
    id: DeviceId,
    now: UnixTime,
    config: &RegistryConfig,
    seeds: &Seeds<'_>,
) -> Result<(Secret, TotpParams, UnixTime), Error> {
    let device = find_pending(devices, id, now)?;
    let kind = device.kind;
    let Credential::Totp(cred) = &device.credential else {
        return Err(Error::WrongKind { kind });
    };
    let secret = seeds.open(id, &cred.sealed)?;
    let params = cred.params;
    let expires_at = now.saturating_add(config.pending_ttl());
    device.state = DeviceState::Pending { expires_at };
    Ok((secret, params, expires_at))
}

/// The device `id` while its enrolment is pending: [`Error::AlreadyActive`] once
/// active, [`Error::EnrolmentExpired`] once its enrolment has expired.
fn find_pending(devices: &mut [Device], id: DeviceId, now: UnixTime) -> Result<&mut Device, Error> {
    let device = find_mut(devices, id)?;
    match device.status(now) {
        DeviceStatus::Active => Err(Error::AlreadyActive),
        DeviceStatus::Expired => Err(Error::EnrolmentExpired),
        DeviceStatus::Pending { .. } => Ok(device),
    }
}

/// Cancels a pending (or expired) enrolment: the device goes, freeing its slot and
/// its name; its codes never activate. An active device is refused with
/// [`Error::AlreadyActive`]: removing one is [`remove`], with its own rules.
pub(crate) fn cancel_enrolment(
    devices: &mut Vec<Device>,
    id: DeviceId,
    now: UnixTime,
) -> Result<DeviceInfo, Error> {
    if find_mut(devices, id)?.is_active() {
        return Err(Error::AlreadyActive);
    }
    remove(devices, id, now)
}

/// Activates a pending TOTP device with codes from it; the step used counts as used.
pub(crate) fn finish_app(
    devices: &mut [Device],
    id: DeviceId,
    codes: &[&str],
    now: UnixTime,
    config: &RegistryConfig,
    seeds: &Seeds<'_>,
) -> Result<DeviceInfo, Error> {
    let device = find_pending(devices, id, now)?;
    let kind = device.kind;
    let Credential::Totp(cred) = &mut device.credential else {
        return Err(Error::WrongKind { kind });
    };
    let secret = seeds.open(id, &cred.sealed)?;
    let (step, drift) = check_activation(cred, &secret, codes, now, config)?;
    cred.last_used_step = Some(step);
    cred.drift = drift;
    device.state = DeviceState::Active;
    device.activated_at = Some(now);
    Ok(device.info(now))
}

/// A hardware TOTP token as an administrator imports it.
#[derive(Clone, Debug)]
pub struct HardwareToken {
    name: DeviceName,
    serial: String,
    secret: Secret,
    params: TotpParams,
}

impl HardwareToken {
    /// The serial number, trimmed.
    pub(crate) fn serial(&self) -> &str {
        &self.serial
    }

    /// The imported secret.
    pub(crate) const fn secret(&self) -> &Secret {
        &self.secret
    }

    /// A token's name, serial number (trimmed, 1 to 64 printable ASCII characters),
    /// imported secret and parameters (hardware tokens often use 8 digits or 60 s; the
    /// period must be from [`RegistryConfig::MIN_PERIOD`] to
    /// [`RegistryConfig::MAX_PERIOD`] seconds, as for authenticator apps).
    ///
    /// # Errors
    /// [`Error::InvalidName`], or [`Error::InvalidDevice`] for a bad serial number or a
    /// period out of bounds.
    pub fn new(
        name: &str,
        serial: &str,
        secret: Secret,
        params: TotpParams,
    ) -> Result<Self, Error> {
        let serial = serial.trim();
        if serial.is_empty()
            || serial.len() > MAX_SERIAL_LEN
            || !serial.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
        {
            return Err(Error::InvalidDevice(
                "serial number must be 1 to 64 printable ascii characters",
            ));
        }
        if crate::config::check_period(params.period()).is_err() {
            return Err(Error::InvalidDevice(
                "totp period must be from 15 to 120 seconds",
            ));
        }
        Ok(Self {
            name: DeviceName::new(name)?,
            serial: serial.to_owned(),
            secret,
            params,
        })
    }
}

/// Adds a hardware token, active at once after its codes verify (AWS's
/// `EnableMFADevice`): a token is in the holder's hands, so there is no pending stage.
pub(crate) fn add_hardware_token(
    devices: &mut Vec<Device>,
    token: &HardwareToken,
    codes: &[&str],
    now: UnixTime,
    config: &RegistryConfig,
    seeds: &Seeds<'_>,
) -> Result<DeviceId, Error> {
    let id = admit(devices, &token.name, now, config)?;
    // The same secret registered twice would let one token count as two factors.
    // Seeds are opened to compare (constant time); one that does not open cannot be
    // compared and is passed over rather than blocking every new token of the user.
    let duplicate = devices.iter().any(|d| {
        d.totp().is_some_and(|t| {
            t.serial.as_deref() == Some(&token.serial)
                || seeds
                    .open(d.id, &t.sealed)
                    .is_ok_and(|secret| secret == token.secret)
        })
    });
    if duplicate {
        return Err(Error::DuplicateDevice);
    }
    let mut cred = TotpCredential {
        sealed: seeds.seal(id, &token.secret)?,
        params: token.params,
        serial: Some(token.serial.clone()),
        last_used_step: None,
        drift: Drift::ZERO,
    };
    let (step, drift) = check_activation(&cred, &token.secret, codes, now, config)?;
    cred.last_used_step = Some(step);
    cred.drift = drift;
    devices.push(Device {
        id,
        name: token.name.clone(),
        kind: DeviceKind::HardwareToken,
        state: DeviceState::Active,
        created_at: now,
        activated_at: Some(now),
        last_used_at: None,
        credential: Credential::Totp(cred),
    });
    Ok(id)
}

/// Adds a security key, active at once: the application's WebAuthn registration
/// ceremony has already proven possession.
pub(crate) fn register_security_key(
    devices: &mut Vec<Device>,
    name: DeviceName,
    key: &SecurityKey,
    now: UnixTime,
    config: &RegistryConfig,
) -> Result<DeviceId, Error> {
    let id = admit(devices, &name, now, config)?;
    if devices.iter().any(|d| {
        d.security_key()
            .is_some_and(|k| k.credential_id == key.credential_id)
    }) {
        return Err(Error::DuplicateDevice);
    }
    devices.push(Device {
        id,
        name,
        kind: DeviceKind::SecurityKey,
        state: DeviceState::Active,
        created_at: now,
        activated_at: Some(now),
        last_used_at: None,
        credential: Credential::SecurityKey(key.clone()),
    });
    Ok(id)
}

/// Whether [`verify_code`] also looks for a replayed code on the failure path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReuseCheck {
    /// Verification only.
    Skip,
    /// Also note which active device, if any, produced the code for a used step.
    Report,
}

/// Verifies a sign-in code against every active TOTP device and marks the step used
/// on the device that matched.
///
/// Every active TOTP device is computed, whether or not an earlier one matched, so the
/// time taken does not tell which device (or whether a later one) matched. Pending
/// devices never verify. Any failure is [`Error::Rejected`] inside the [`Rejection`].
///
/// With [`ReuseCheck::Report`], the same loop also checks the code against each
/// active device without the "last used" rule, for every device whether or not one
/// matched (no exit across devices), and a refusal says which device had produced the
/// code for a step at or before its last used one. That is for notifications only.
pub(crate) fn verify_code(
    devices: &mut [Device],
    input: &str,
    now: UnixTime,
    config: &RegistryConfig,
    check: ReuseCheck,
    seeds: &Seeds<'_>,
) -> Result<Verified, Rejection> {
    let mut matched: Option<(usize, TimeStep)> = None;
    let mut reused: Option<CodeReuse> = None;
    let mut unopened: Option<Error> = None;
    for (index, device) in devices.iter().enumerate() {
        if !device.is_active() {
            continue;
        }
        let Some(cred) = device.totp() else {
            continue;
        };
        let Ok(code) = Code::parse(input, cred.params.digits()) else {
            continue;
        };
        // A seed that does not open (key not loaded, tampered, moved) is skipped so
        // the user's other devices still verify; it is reported only if none matched.
        let secret = match seeds.open(device.id, &cred.sealed) {
            Ok(secret) => secret,
            Err(e) => {
                unopened.get_or_insert(e);
                continue;
            }
        };
        let totp = Totp::new(&secret, cred.params);
        let options = VerifyOptions::new()
            .window(config.window())
            .drift(cred.drift);
        let step = totp.verify(&code, now, cred.last_used_step, options).ok();
        if let (Some(step), None) = (step, matched) {
            matched = Some((index, step));
        }
        // Only a device the code did not verify for can show a replay; a success is
        // never reported as reuse, so the second pass is skipped for it.
        if check == ReuseCheck::Report && step.is_none() {
            // Comparisons inside `verify` are constant time; a step found here that the
            // "last used" rule refuses is a replay of this device's code.
            let any = totp.verify_allowing_replay(&code, now, options).ok();
            let replay = match (any, cred.last_used_step) {
                (Some(step), Some(last)) => step <= last,
                _ => false,
            };
            if replay && reused.is_none() {
                reused = Some(CodeReuse {
                    device_id: device.id,
                    kind: device.kind,
                });
            }
        }
    }
    let Some((index, step)) = matched else {
        return Err(match unopened {
            Some(e) => Rejection::from(e),
            None => Rejection::rejected(reused),
        });
    };
    let device = devices.get_mut(index).ok_or(Rejection::rejected(None))?;
    if let Credential::Totp(cred) = &mut device.credential {
        cred.last_used_step = Some(step);
    }
    device.last_used_at = Some(now);
    Ok(Verified {
        device_id: device.id,
        kind: device.kind,
        step,
    })
}

/// Verifies a security-key assertion with the application's check, enforcing and
/// storing the signature counter.
pub(crate) fn verify_assertion(
    devices: &mut [Device],
    credential_id: &[u8],
    check: impl FnOnce(&SecurityKey) -> Result<(u32, Option<KeyFlags>), Rejected>,
    now: UnixTime,
) -> Result<AssertionVerified, Error> {
    let device = devices
        .iter_mut()
        .find(|d| {
            d.is_active()
                && d.security_key()
                    .is_some_and(|k| k.credential_id == credential_id)
        })
        .ok_or(Error::Rejected)?;
    let Credential::SecurityKey(key) = &mut device.credential else {
        return Err(Error::Rejected);
    };
    let (count, flags) = check(key).map_err(|Rejected| Error::Rejected)?;
    if !counter_acceptable(key.sign_count, count) {
        return Err(Error::Rejected);
    }
    key.sign_count = count;
    if let Some(flags) = flags {
        key.flags = flags;
    }
    device.last_used_at = Some(now);
    Ok(AssertionVerified {
        device_id: device.id,
        sign_count: count,
    })
}

/// Resynchronises an active TOTP device from two consecutive codes.
pub(crate) fn resync(
    devices: &mut [Device],
    id: DeviceId,
    first: &str,
    second: &str,
    now: UnixTime,
    config: &RegistryConfig,
    seeds: &Seeds<'_>,
) -> Result<Drift, Error> {
    let device = find_mut(devices, id)?;
    if !device.is_active() {
        return Err(Error::NotActive);
    }
    let kind = device.kind;
    let Credential::Totp(cred) = &mut device.credential else {
        return Err(Error::WrongKind { kind });
    };
    let codes = parse_codes(&[first, second], cred.params.digits())?;
    let [a, b] = codes.as_slice() else {
        return Err(Error::ResyncFailed);
    };
    let secret = seeds.open(id, &cred.sealed)?;
    let found = Totp::new(&secret, cred.params)
        .resync(a, b, now, config.resync_range(), cred.last_used_step)
        .map_err(|e| match e {
            tessera_otp::Error::ResyncFailed => Error::ResyncFailed,
            other => Error::Otp(other),
        })?;
    cred.drift = found.drift;
    cred.last_used_step = Some(found.last_used);
    Ok(found.drift)
}

/// Renames a device; names stay unique per user.
pub(crate) fn rename(devices: &mut [Device], id: DeviceId, name: DeviceName) -> Result<(), Error> {
    check_name(devices, &name, Some(id))?;
    find_mut(devices, id)?.name = name;
    Ok(())
}

/// Removes a device (deactivation): it verifies nothing from now on and its slot is free.
pub(crate) fn remove(
    devices: &mut Vec<Device>,
    id: DeviceId,
    now: UnixTime,
) -> Result<DeviceInfo, Error> {
    let index = devices
        .iter()
        .position(|d| d.id == id)
        .ok_or(Error::DeviceNotFound)?;
    Ok(devices.remove(index).info(now))
}

/// Whether MFA is on, and with which kinds of active device.
pub(crate) fn mfa_status(devices: &[Device]) -> MfaStatus {
    MfaStatus::new(
        devices
            .iter()
            .filter(|d| d.is_active())
            .map(|d| d.kind)
            .collect(),
    )
}

#[cfg(test)]
mod tests;
