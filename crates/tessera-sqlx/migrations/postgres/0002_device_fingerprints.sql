-- One device, one user (issue 19): each hardware token's serial and each TOTP seed is
-- claimed by one user as a keyed fingerprint (HMAC-SHA-256 under a key derived from the
-- application's keyring; never the seed), 64 lowercase hex digits. The primary key is
-- the claim: an INSERT … ON CONFLICT DO NOTHING that inserts nothing means taken.
CREATE TABLE tessera_device_fingerprints (
    fingerprint TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    user_id     TEXT COLLATE "C" NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX tessera_device_fingerprints_user ON tessera_device_fingerprints (user_id);
