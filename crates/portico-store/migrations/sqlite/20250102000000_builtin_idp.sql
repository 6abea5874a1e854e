-- The built-in identity provider: its clients and its signing keys.
--
-- Neither table is read by the gateway (it reaches the built-in IdP over HTTP like any
-- other IdP), so neither moves config_version.

-- One row per client. Only the SHA-256 of the secret is kept. `application_id` has no
-- foreign key: the client is made before its application is stored, and outlives it until
-- the queued deletion runs.
CREATE TABLE builtin_clients (
    client_id      TEXT PRIMARY KEY NOT NULL,
    secret_hash    TEXT NOT NULL,
    name           TEXT NOT NULL,
    audience       TEXT NOT NULL,
    application_id TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

-- RS256 keys. `private_key` is an `EncryptedSecret` (nonce, ciphertext and tag) of the
-- PKCS#8 PEM, never the key itself; `public_jwk` is JSON text, published as it is.
-- `retires_at` is NULL for the key in use.
CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY NOT NULL,
    algorithm   TEXT NOT NULL,
    private_key BLOB NOT NULL,
    public_jwk  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    retires_at  INTEGER
);
CREATE INDEX signing_keys_created_at ON signing_keys (created_at);
