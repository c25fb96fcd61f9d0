//! Checking a password against a policy, reporting every rule it breaks.

use crate::blocklist::{is_common_word, is_keyboard_run, is_repeated, is_sequential};
use crate::context::{contains_folded_word, contains_word};
use crate::normalize::{counted_len, fold, normalize};
use crate::weak::{Candidates, repeated_unit};
use crate::{
    Blocklist, BuiltinBlocklist, Context, Hasher, MAX_PASSWORD_BYTES, NoBlocklist, Password,
    PasswordHistory, PasswordPolicy, Violation, Violations,
};

impl PasswordPolicy {
    /// Checks a new password; `Err` holds **every** rule it breaks, in a stable order.
    ///
    /// Length counts code points after NFKC normalisation, leaving out invisible characters
    /// (zero-width spaces, soft hyphens, variation selectors). Blocklist, pattern and context
    /// checks look at the password's candidate forms: its look-alike skeleton, without
    /// decorations (leading and trailing digits and punctuation), with leetspeak undone, and
    /// the unit of a repeated password (see the crate docs). A password wholly made of one
    /// repeated unit shorter than the minimum length is `repeated`. A password longer than
    /// [`MAX_PASSWORD_BYTES`] is reported as `too_long` alone, without further work.
    ///
    /// # Errors
    /// The [`Violations`], never empty.
    pub fn validate(&self, password: &Password, context: &Context) -> Result<(), Violations> {
        self.validate_with(password, context, &NoBlocklist)
    }

    /// As [`validate`](PasswordPolicy::validate), also refusing passwords on `extra` (an
    /// organisation's own list, or the answer of a breached-password service). `extra` applies
    /// even when the policy's built-in blocklist is off.
    ///
    /// # Errors
    /// The [`Violations`], never empty.
    pub fn validate_with(
        &self,
        password: &Password,
        context: &Context,
        extra: &dyn Blocklist,
    ) -> Result<(), Violations> {
        let mut out = Violations::default();
        self.check(password, context, extra, &mut out);
        out.into_result()
    }

    /// Checks a password change: every rule of [`validate`](PasswordPolicy::validate), then
    /// that `confirmation` equals `new` (`confirmation_mismatch`, compared in constant time
    /// after NFKC), that `new` is not the current password (`same_as_current`), and, when the
    /// policy has a history, that `new` matches none of the last
    /// [`history`](PasswordPolicy::history) hashes (`reused`).
    ///
    /// `history` must hold the current password's hash **first** (see
    /// [`PasswordHistory::push`]). That first entry is always checked, whatever
    /// [`history`](PasswordPolicy::history) is (0 by default): "changing" to the same password
    /// changes nothing and would let a forced change be skipped, so it is refused as
    /// `same_as_current` (and then not also reported as `reused`).
    ///
    /// The history check verifies `new` against each stored hash with `hasher`, so it costs
    /// one Argon2 computation per remembered password: run it off an async executor (see
    /// [`Hasher`]). Every entry is checked, without stopping at a match. Stored hashes that
    /// cannot be verified (for example, made with a retired pepper) count as no match.
    ///
    /// # Errors
    /// The [`Violations`], never empty.
    pub fn validate_change(
        &self,
        new: &Password,
        confirmation: &Password,
        context: &Context,
        history: &PasswordHistory,
        hasher: &Hasher,
    ) -> Result<(), Violations> {
        let mut out = Violations::default();
        self.check(new, context, &NoBlocklist, &mut out);
        let fits = new.len_bytes() <= MAX_PASSWORD_BYTES;
        if !fits || confirmation.len_bytes() > MAX_PASSWORD_BYTES {
            if !new.ct_eq(confirmation) {
                out.push(Violation::ConfirmationMismatch);
            }
        } else {
            let a = normalize(new.expose());
            let b = normalize(confirmation.expose());
            if !bool::from(subtle::ConstantTimeEq::ct_eq(a.as_bytes(), b.as_bytes())) {
                out.push(Violation::ConfirmationMismatch);
            }
        }
        if fits {
            let mut hashes = history.hashes().iter();
            let same = hashes
                .next()
                .is_some_and(|current| hasher.verify(new, current).unwrap_or(false));
            let mut reused = false;
            for stored in hashes.take(self.history.saturating_sub(1)) {
                reused |= hasher.verify(new, stored).unwrap_or(false);
            }
            if same {
                out.push(Violation::SameAsCurrent);
            } else if reused {
                out.push(Violation::Reused {
                    history: self.history,
                });
            }
        }
        out.into_result()
    }

    fn check(
        &self,
        password: &Password,
        context: &Context,
        extra: &dyn Blocklist,
        out: &mut Violations,
    ) {
        if password.len_bytes() > MAX_PASSWORD_BYTES {
            out.push(Violation::TooLong {
                max: self.max_length,
            });
            return;
        }
        let normalized = normalize(password.expose());
        let len = counted_len(&normalized);
        let min_length = self.min_length();
        if len < min_length {
            out.push(Violation::TooShort { min: min_length });
        }
        if len > self.max_length {
            out.push(Violation::TooLong {
                max: self.max_length,
            });
        }
        if normalized.chars().any(char::is_control) {
            out.push(Violation::InvalidCharacter);
        }
        self.check_classes(&normalized, out);
        if self
            .pattern
            .as_ref()
            .is_some_and(|p| !p.is_match(&normalized))
        {
            out.push(Violation::PatternMismatch);
        }

        // The password as typed (lowercased) is what lists were compared with before; the
        // candidates add the forms that decorations, look-alikes and leetspeak hide.
        let folded = fold(&normalized);
        let candidates = Candidates::of(&normalized);
        let on = |list: &dyn Blocklist| {
            list.contains(&folded) || candidates.all().any(|c| list.contains(c))
        };
        let builtin =
            self.blocklist && (on(&BuiltinBlocklist) || candidates.all().any(is_common_word));
        if builtin || on(extra) {
            out.push(Violation::Blocklisted);
        }
        if self.blocklist {
            let literal = || core::iter::once(folded.as_str()).chain(candidates.literal_forms());
            // A repetition is as strong as its unit: `passwordpassword` is 16 characters of
            // which 8 count.
            let short_unit = candidates
                .literal_forms()
                .next()
                .and_then(repeated_unit)
                .is_some_and(|unit| unit.chars().count() < self.min_length());
            if short_unit || literal().any(is_repeated) {
                out.push(Violation::Repeated);
            }
            if literal().any(is_sequential) {
                out.push(Violation::Sequential);
            }
            if literal().any(is_keyboard_run) {
                out.push(Violation::KeyboardRun);
            }
        }

        if self.context_words {
            if context
                .username()
                .is_some_and(|u| contains_word(&candidates, u))
            {
                out.push(Violation::ContainsUsername);
            }
            if context
                .email_local_part()
                .is_some_and(|e| contains_word(&candidates, e))
            {
                out.push(Violation::ContainsEmail);
            }
            if self
                .service_words_folded
                .iter()
                .any(|w| contains_folded_word(&candidates, w))
            {
                out.push(Violation::ContainsServiceWord);
            }
        }

        #[cfg(feature = "zxcvbn")]
        self.check_zxcvbn(&normalized, len, context, out);
    }

    fn check_classes(&self, normalized: &str, out: &mut Violations) {
        let (mut digits, mut lower, mut upper, mut special) = (0usize, 0usize, 0usize, 0usize);
        for c in normalized.chars() {
            if c.is_numeric() {
                digits += 1;
            } else if c.is_lowercase() {
                lower += 1;
            } else if c.is_uppercase() {
                upper += 1;
            } else if !c.is_alphabetic() {
                special += 1;
            }
        }
        if digits < self.min_digits {
            out.push(Violation::MissingDigit {
                min: self.min_digits,
            });
        }
        if lower < self.min_lowercase {
            out.push(Violation::MissingLowercase {
                min: self.min_lowercase,
            });
        }
        if upper < self.min_uppercase {
            out.push(Violation::MissingUppercase {
                min: self.min_uppercase,
            });
        }
        if special < self.min_special {
            out.push(Violation::MissingSpecial {
                min: self.min_special,
            });
        }
    }

    /// zxcvbn's matching grows quickly with length; passwords beyond this many code points are
    /// not scored (at that length the estimate is at its top anyway).
    #[cfg(feature = "zxcvbn")]
    const ZXCVBN_MAX_LEN: usize = 256;

    #[cfg(feature = "zxcvbn")]
    fn check_zxcvbn(&self, normalized: &str, len: usize, context: &Context, out: &mut Violations) {
        let Some(min) = self.min_zxcvbn_score else {
            return;
        };
        if len == 0 || len > Self::ZXCVBN_MAX_LEN {
            if len == 0 && min > 0 {
                out.push(Violation::TooWeak {
                    min_score: usize::from(min),
                });
            }
            return;
        }
        let mut inputs: Vec<&str> = self.service_words.iter().map(String::as_str).collect();
        inputs.extend(context.username());
        inputs.extend(context.email_local_part());
        let score = u8::from(zxcvbn::zxcvbn(normalized, &inputs).score());
        if score < min {
            out.push(Violation::TooWeak {
                min_score: usize::from(min),
            });
        }
    }
}

#[cfg(test)]
mod tests;
