-- Tessera's three stores: one row per aggregate, a version for compare-and-set, and
-- the aggregate as a JSON document with its format number. SQLite compares TEXT with
-- the BINARY collation: byte order, the order UserId sorts in.
CREATE TABLE tessera_devices (
    user_id TEXT    NOT NULL PRIMARY KEY,
    version INTEGER NOT NULL CHECK (version > 0),
    format  INTEGER NOT NULL,
    data    TEXT    NOT NULL
);
CREATE TABLE tessera_mfa_accounts (
    user_id TEXT    NOT NULL PRIMARY KEY,
    version INTEGER NOT NULL CHECK (version > 0),
    format  INTEGER NOT NULL,
    data    TEXT    NOT NULL
);
CREATE TABLE tessera_mfa_destinations (
    destination TEXT    NOT NULL PRIMARY KEY,
    version     INTEGER NOT NULL CHECK (version > 0),
    format      INTEGER NOT NULL,
    data        TEXT    NOT NULL
);
CREATE TABLE tessera_accounts (
    id       TEXT    NOT NULL PRIMARY KEY,
    username TEXT    NOT NULL UNIQUE,
    version  INTEGER NOT NULL CHECK (version > 0),
    format   INTEGER NOT NULL,
    data     TEXT    NOT NULL
);
