-- Tessera's three stores: one row per aggregate, a version for compare-and-set, and
-- the aggregate as a JSON document with its format number. Keys use the "C"
-- collation: byte order, the order UserId sorts in, whatever the database's locale.
CREATE TABLE tessera_devices (
    user_id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    version BIGINT NOT NULL CHECK (version > 0),
    format  BIGINT NOT NULL,
    data    TEXT   NOT NULL
);
CREATE TABLE tessera_mfa_accounts (
    user_id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    version BIGINT NOT NULL CHECK (version > 0),
    format  BIGINT NOT NULL,
    data    TEXT   NOT NULL
);
CREATE TABLE tessera_mfa_destinations (
    destination TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    version     BIGINT NOT NULL CHECK (version > 0),
    format      BIGINT NOT NULL,
    data        TEXT   NOT NULL
);
CREATE TABLE tessera_accounts (
    id       TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    username TEXT COLLATE "C" NOT NULL UNIQUE,
    version  BIGINT NOT NULL CHECK (version > 0),
    format   BIGINT NOT NULL,
    data     TEXT   NOT NULL
);
