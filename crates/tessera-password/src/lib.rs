//! Password policy (NIST SP 800-63B defaults, organisation rules, every violation reported) and argon2id hashing

#![forbid(unsafe_code)]
