-- Portico's schema for PostgreSQL.
--
-- Times are TIMESTAMPTZ, which keeps microseconds; the store truncates to them on write.
-- Constraint names are spelled out: the store maps them to the conflicts it reports.

-- A counter that every write to what the gateway reads increments, in the same
-- transaction (see the triggers at the end), so that the gateway can poll one row.
CREATE TABLE config_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO config_version (id, version) VALUES (1, 0);

CREATE TABLE dcr_providers (
    id                      UUID NOT NULL,
    name                    TEXT NOT NULL,
    provider_type           TEXT NOT NULL,
    issuer                  TEXT NOT NULL,
    -- Which variant of `DcrConfig` the columns below hold.
    dcr_config_type         TEXT NOT NULL,
    initial_client_id       TEXT,
    -- An `EncryptedSecret`: nonce followed by ciphertext and tag, never the secret itself.
    initial_client_secret   BYTEA,
    initial_client_audience TEXT,
    created_at              TIMESTAMPTZ NOT NULL,
    updated_at              TIMESTAMPTZ NOT NULL,
    CONSTRAINT dcr_providers_pkey PRIMARY KEY (id),
    CONSTRAINT dcr_providers_auth0_config CHECK (dcr_config_type <> 'auth0'
        OR (initial_client_id IS NOT NULL AND initial_client_secret IS NOT NULL))
);

CREATE TABLE auth_strategies (
    id              UUID NOT NULL,
    name            TEXT NOT NULL,
    strategy_type   TEXT NOT NULL,
    dcr_provider_id UUID,
    openid_connect  JSONB NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    CONSTRAINT auth_strategies_pkey PRIMARY KEY (id),
    CONSTRAINT auth_strategies_dcr_provider_id_fkey FOREIGN KEY (dcr_provider_id)
        REFERENCES dcr_providers (id) ON DELETE RESTRICT
);
CREATE INDEX auth_strategies_dcr_provider_id ON auth_strategies (dcr_provider_id);

CREATE TABLE apis (
    id               UUID NOT NULL,
    name             TEXT NOT NULL,
    slug             TEXT NOT NULL,
    description      TEXT NOT NULL,
    version          TEXT NOT NULL,
    upstream_url     TEXT NOT NULL,
    routes           JSONB NOT NULL,
    auth_strategy_id UUID,
    published        BOOLEAN NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    CONSTRAINT apis_pkey PRIMARY KEY (id),
    CONSTRAINT apis_slug_key UNIQUE (slug),
    CONSTRAINT apis_auth_strategy_id_fkey FOREIGN KEY (auth_strategy_id)
        REFERENCES auth_strategies (id) ON DELETE RESTRICT
);
CREATE INDEX apis_auth_strategy_id ON apis (auth_strategy_id);

CREATE TABLE developers (
    id            UUID NOT NULL,
    email         TEXT NOT NULL,
    full_name     TEXT NOT NULL,
    status        TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    CONSTRAINT developers_pkey PRIMARY KEY (id),
    CONSTRAINT developers_email_key UNIQUE (email)
);

CREATE TABLE sessions (
    token_hash   TEXT NOT NULL,
    developer_id UUID NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    CONSTRAINT sessions_pkey PRIMARY KEY (token_hash),
    CONSTRAINT sessions_developer_id_fkey FOREIGN KEY (developer_id)
        REFERENCES developers (id) ON DELETE CASCADE
);
CREATE INDEX sessions_developer_id ON sessions (developer_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE applications (
    id               UUID NOT NULL,
    developer_id     UUID NOT NULL,
    name             TEXT NOT NULL,
    description      TEXT NOT NULL,
    redirect_uri     TEXT,
    client_id        TEXT NOT NULL,
    auth_strategy_id UUID NOT NULL,
    dcr_provider_id  UUID NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    CONSTRAINT applications_pkey PRIMARY KEY (id),
    CONSTRAINT applications_dcr_provider_id_client_id_key UNIQUE (dcr_provider_id, client_id),
    CONSTRAINT applications_developer_id_fkey FOREIGN KEY (developer_id)
        REFERENCES developers (id) ON DELETE RESTRICT,
    CONSTRAINT applications_auth_strategy_id_fkey FOREIGN KEY (auth_strategy_id)
        REFERENCES auth_strategies (id) ON DELETE RESTRICT,
    CONSTRAINT applications_dcr_provider_id_fkey FOREIGN KEY (dcr_provider_id)
        REFERENCES dcr_providers (id) ON DELETE RESTRICT
);
CREATE INDEX applications_developer_id ON applications (developer_id, created_at);
CREATE INDEX applications_auth_strategy_id ON applications (auth_strategy_id);
CREATE INDEX applications_created_at ON applications (created_at);

-- `Idempotency-Key`s of application creation. A row without an application is a
-- reservation held by a request still running.
CREATE TABLE idempotency_keys (
    developer_id    UUID NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash    TEXT NOT NULL,
    application_id  UUID,
    created_at      TIMESTAMPTZ NOT NULL,
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (developer_id, idempotency_key),
    CONSTRAINT idempotency_keys_developer_id_fkey FOREIGN KEY (developer_id)
        REFERENCES developers (id) ON DELETE CASCADE,
    CONSTRAINT idempotency_keys_application_id_fkey FOREIGN KEY (application_id)
        REFERENCES applications (id) ON DELETE CASCADE
);
CREATE INDEX idempotency_keys_application_id ON idempotency_keys (application_id);

CREATE TABLE registrations (
    id             UUID NOT NULL,
    application_id UUID NOT NULL,
    api_id         UUID NOT NULL,
    status         TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    CONSTRAINT registrations_pkey PRIMARY KEY (id),
    CONSTRAINT registrations_application_id_api_id_key UNIQUE (application_id, api_id),
    CONSTRAINT registrations_application_id_fkey FOREIGN KEY (application_id)
        REFERENCES applications (id) ON DELETE CASCADE,
    CONSTRAINT registrations_api_id_fkey FOREIGN KEY (api_id)
        REFERENCES apis (id) ON DELETE CASCADE
);
CREATE INDEX registrations_api_id ON registrations (api_id);
CREATE INDEX registrations_status ON registrations (status);

-- IdP client deletions still to be done. A deleted provider takes its queue with it:
-- without the provider there is no way left to reach the IdP.
CREATE TABLE idp_deletions (
    id              UUID NOT NULL,
    dcr_provider_id UUID NOT NULL,
    client_id       TEXT NOT NULL,
    attempts        BIGINT NOT NULL,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    last_error      TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    CONSTRAINT idp_deletions_pkey PRIMARY KEY (id),
    CONSTRAINT idp_deletions_dcr_provider_id_fkey FOREIGN KEY (dcr_provider_id)
        REFERENCES dcr_providers (id) ON DELETE CASCADE
);
CREATE INDEX idp_deletions_next_attempt_at ON idp_deletions (next_attempt_at);
CREATE INDEX idp_deletions_dcr_provider_id ON idp_deletions (dcr_provider_id);

-- One row. The strategy and provider it names cannot be deleted while it names them.
CREATE TABLE portal_settings (
    id                         INTEGER PRIMARY KEY CHECK (id = 1),
    auto_approve_developers    BOOLEAN NOT NULL DEFAULT TRUE,
    auto_approve_registrations BOOLEAN NOT NULL DEFAULT TRUE,
    default_auth_strategy_id   UUID,
    setup_dcr_provider_id      UUID,
    setup_auth_strategy_id     UUID,
    CONSTRAINT portal_settings_default_auth_strategy_id_fkey FOREIGN KEY (default_auth_strategy_id)
        REFERENCES auth_strategies (id) ON DELETE RESTRICT,
    CONSTRAINT portal_settings_setup_dcr_provider_id_fkey FOREIGN KEY (setup_dcr_provider_id)
        REFERENCES dcr_providers (id) ON DELETE RESTRICT,
    CONSTRAINT portal_settings_setup_auth_strategy_id_fkey FOREIGN KEY (setup_auth_strategy_id)
        REFERENCES auth_strategies (id) ON DELETE RESTRICT,
    CONSTRAINT portal_settings_setup_pair
        CHECK ((setup_dcr_provider_id IS NULL) = (setup_auth_strategy_id IS NULL))
);
INSERT INTO portal_settings (id) VALUES (1);

-- Every write to what the gateway reads moves config_version, cascades included.
CREATE FUNCTION bump_config_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE config_version SET version = version + 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER dcr_providers_config_version AFTER INSERT OR UPDATE OR DELETE ON dcr_providers
    FOR EACH ROW EXECUTE FUNCTION bump_config_version();
CREATE TRIGGER auth_strategies_config_version AFTER INSERT OR UPDATE OR DELETE ON auth_strategies
    FOR EACH ROW EXECUTE FUNCTION bump_config_version();
CREATE TRIGGER apis_config_version AFTER INSERT OR UPDATE OR DELETE ON apis
    FOR EACH ROW EXECUTE FUNCTION bump_config_version();
CREATE TRIGGER applications_config_version AFTER INSERT OR UPDATE OR DELETE ON applications
    FOR EACH ROW EXECUTE FUNCTION bump_config_version();
CREATE TRIGGER registrations_config_version AFTER INSERT OR UPDATE OR DELETE ON registrations
    FOR EACH ROW EXECUTE FUNCTION bump_config_version();
CREATE TRIGGER portal_settings_config_version AFTER UPDATE ON portal_settings
    FOR EACH ROW EXECUTE FUNCTION bump_config_version();
