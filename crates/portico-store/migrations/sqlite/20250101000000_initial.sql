-- Portico's schema for SQLite.
--
-- Ids are UUIDs kept as TEXT in their lower-case hyphenated form. Times are INTEGER
-- microseconds since the Unix epoch, UTC. Booleans are INTEGER 0 or 1. JSON is TEXT.

-- A counter that every write to what the gateway reads increments, in the same
-- transaction (see the triggers at the end), so that the gateway can poll one row.
CREATE TABLE config_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO config_version (id, version) VALUES (1, 0);

CREATE TABLE dcr_providers (
    id                      TEXT PRIMARY KEY NOT NULL,
    name                    TEXT NOT NULL,
    provider_type           TEXT NOT NULL,
    issuer                  TEXT NOT NULL,
    -- Which variant of `DcrConfig` the columns below hold.
    dcr_config_type         TEXT NOT NULL,
    initial_client_id       TEXT,
    -- An `EncryptedSecret`: nonce followed by ciphertext and tag, never the secret itself.
    initial_client_secret   BLOB,
    initial_client_audience TEXT,
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL,
    CHECK (dcr_config_type <> 'auth0'
        OR (initial_client_id IS NOT NULL AND initial_client_secret IS NOT NULL))
);

CREATE TABLE auth_strategies (
    id              TEXT PRIMARY KEY NOT NULL,
    name            TEXT NOT NULL,
    strategy_type   TEXT NOT NULL,
    dcr_provider_id TEXT REFERENCES dcr_providers (id) ON DELETE RESTRICT,
    openid_connect  TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX auth_strategies_dcr_provider_id ON auth_strategies (dcr_provider_id);

CREATE TABLE apis (
    id               TEXT PRIMARY KEY NOT NULL,
    name             TEXT NOT NULL,
    slug             TEXT NOT NULL UNIQUE,
    description      TEXT NOT NULL,
    version          TEXT NOT NULL,
    upstream_url     TEXT NOT NULL,
    routes           TEXT NOT NULL,
    auth_strategy_id TEXT REFERENCES auth_strategies (id) ON DELETE RESTRICT,
    published        INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX apis_auth_strategy_id ON apis (auth_strategy_id);

CREATE TABLE developers (
    id            TEXT PRIMARY KEY NOT NULL,
    email         TEXT NOT NULL UNIQUE,
    full_name     TEXT NOT NULL,
    status        TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY NOT NULL,
    developer_id TEXT NOT NULL REFERENCES developers (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX sessions_developer_id ON sessions (developer_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE applications (
    id               TEXT PRIMARY KEY NOT NULL,
    developer_id     TEXT NOT NULL REFERENCES developers (id) ON DELETE RESTRICT,
    name             TEXT NOT NULL,
    description      TEXT NOT NULL,
    redirect_uri     TEXT,
    client_id        TEXT NOT NULL,
    auth_strategy_id TEXT NOT NULL REFERENCES auth_strategies (id) ON DELETE RESTRICT,
    dcr_provider_id  TEXT NOT NULL REFERENCES dcr_providers (id) ON DELETE RESTRICT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (dcr_provider_id, client_id)
);
CREATE INDEX applications_developer_id ON applications (developer_id, created_at);
CREATE INDEX applications_auth_strategy_id ON applications (auth_strategy_id);
CREATE INDEX applications_created_at ON applications (created_at);

-- `Idempotency-Key`s of application creation. A row without an application is a
-- reservation held by a request still running.
CREATE TABLE idempotency_keys (
    developer_id    TEXT NOT NULL REFERENCES developers (id) ON DELETE CASCADE,
    idempotency_key TEXT NOT NULL,
    request_hash    TEXT NOT NULL,
    application_id  TEXT REFERENCES applications (id) ON DELETE CASCADE,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (developer_id, idempotency_key)
);
CREATE INDEX idempotency_keys_application_id ON idempotency_keys (application_id);

CREATE TABLE registrations (
    id             TEXT PRIMARY KEY NOT NULL,
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    api_id         TEXT NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
    status         TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (application_id, api_id)
);
CREATE INDEX registrations_api_id ON registrations (api_id);
CREATE INDEX registrations_status ON registrations (status);

-- IdP client deletions still to be done. A deleted provider takes its queue with it:
-- without the provider there is no way left to reach the IdP.
CREATE TABLE idp_deletions (
    id              TEXT PRIMARY KEY NOT NULL,
    dcr_provider_id TEXT NOT NULL REFERENCES dcr_providers (id) ON DELETE CASCADE,
    client_id       TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX idp_deletions_next_attempt_at ON idp_deletions (next_attempt_at);
CREATE INDEX idp_deletions_dcr_provider_id ON idp_deletions (dcr_provider_id);

-- One row. The strategy and provider it names cannot be deleted while it names them.
CREATE TABLE portal_settings (
    id                         INTEGER PRIMARY KEY CHECK (id = 1),
    auto_approve_developers    INTEGER NOT NULL DEFAULT 1,
    auto_approve_registrations INTEGER NOT NULL DEFAULT 1,
    default_auth_strategy_id   TEXT REFERENCES auth_strategies (id) ON DELETE RESTRICT,
    setup_dcr_provider_id      TEXT REFERENCES dcr_providers (id) ON DELETE RESTRICT,
    setup_auth_strategy_id     TEXT REFERENCES auth_strategies (id) ON DELETE RESTRICT,
    CHECK ((setup_dcr_provider_id IS NULL) = (setup_auth_strategy_id IS NULL))
);
INSERT INTO portal_settings (id) VALUES (1);

-- Every write to what the gateway reads moves config_version, cascades included.
CREATE TRIGGER dcr_providers_insert_config_version AFTER INSERT ON dcr_providers
BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER dcr_providers_update_config_version AFTER UPDATE ON dcr_providers
BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER dcr_providers_delete_config_version AFTER DELETE ON dcr_providers
BEGIN UPDATE config_version SET version = version + 1; END;

CREATE TRIGGER auth_strategies_insert_config_version AFTER INSERT ON auth_strategies
BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER auth_strategies_update_config_version AFTER UPDATE ON auth_strategies
BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER auth_strategies_delete_config_version AFTER DELETE ON auth_strategies
BEGIN UPDATE config_version SET version = version + 1; END;

CREATE TRIGGER apis_insert_config_version AFTER INSERT ON apis
BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER apis_update_config_version AFTER UPDATE ON apis
BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER apis_delete_config_version AFTER DELETE ON apis
BEGIN UPDATE config_version SET version = version + 1; END;

CREATE TRIGGER applications_insert_config_version AFTER INSERT ON applications
BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER applications_update_config_version AFTER UPDATE ON applications
BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER applications_delete_config_version AFTER DELETE ON applications
BEGIN UPDATE config_version SET version = version + 1; END;

CREATE TRIGGER registrations_insert_config_version AFTER INSERT ON registrations
BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER registrations_update_config_version AFTER UPDATE ON registrations
BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER registrations_delete_config_version AFTER DELETE ON registrations
BEGIN UPDATE config_version SET version = version + 1; END;

CREATE TRIGGER portal_settings_update_config_version AFTER UPDATE ON portal_settings
BEGIN UPDATE config_version SET version = version + 1; END;
