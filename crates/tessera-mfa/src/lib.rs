//! MFA settings, method availability and selection, organisation policy, email/SMS codes, recovery codes, throttling and security notifications

#![forbid(unsafe_code)]
