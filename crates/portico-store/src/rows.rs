//! What both backends share about rows: reading domain objects out of them, the column
//! values of the parts that are not plain scalars, and how times are kept.
//!
//! Each backend implements [`Columns`] for its row type, turning its own column types (TEXT
//! or UUID ids, INTEGER or TIMESTAMPTZ times) into Rust values; the functions here build the
//! domain objects from those, so that a row means the same thing in both backends.

use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use uuid::Uuid;

use portico_core::id::Id;
use portico_core::model::{
    Api, Application, ApplicationSetupIds, ApprovalStatus, AuthStrategy, BuiltinClient, DcrConfig,
    DcrProvider, Developer, IdempotencyState, PendingIdpDeletion, PortalSettings, ProviderType,
    Registration, Session, SigningKey, StrategyType,
};
use portico_core::ports::{StoreError, StoreResult};
use portico_core::{EncryptedSecret, Issuer};

/// How long a reservation of an `Idempotency-Key` may stay without an application before it
/// counts as abandoned (its request died) and another request may take it over.
pub const IDEMPOTENCY_RESERVATION_TIMEOUT: time::Duration = time::Duration::seconds(60);

/// How often `reserve_idempotency_key` tries again when the row it saw was released before it
/// could read it.
pub(crate) const RESERVE_ATTEMPTS: usize = 3;

/// Typed access to the columns of one row, by column name.
pub(crate) trait Columns {
    fn uuid(&self, column: &'static str) -> StoreResult<Uuid>;
    fn optional_uuid(&self, column: &'static str) -> StoreResult<Option<Uuid>>;
    fn time(&self, column: &'static str) -> StoreResult<OffsetDateTime>;
    fn optional_time(&self, column: &'static str) -> StoreResult<Option<OffsetDateTime>>;
    fn text(&self, column: &'static str) -> StoreResult<String>;
    fn optional_text(&self, column: &'static str) -> StoreResult<Option<String>>;
    fn optional_bytes(&self, column: &'static str) -> StoreResult<Option<Vec<u8>>>;
    fn integer(&self, column: &'static str) -> StoreResult<i64>;
    fn boolean(&self, column: &'static str) -> StoreResult<bool>;
    fn json<T: DeserializeOwned>(&self, column: &'static str) -> StoreResult<T>;
}

/// The error for a stored value that does not decode. The value itself is left out: it may
/// be a secret.
pub(crate) fn invalid(column: &str) -> StoreError {
    StoreError::Backend(format!(
        "the stored column `{column}` holds an invalid value"
    ))
}

// ---------------------------------------------------------------- Times

/// `time` floored to the microsecond, the precision both backends keep.
pub(crate) fn truncate(time: OffsetDateTime) -> OffsetDateTime {
    let nanosecond = time.nanosecond() / 1_000 * 1_000;
    time.replace_nanosecond(nanosecond)
        .expect("a nanosecond below one billion is always valid")
}

/// Microseconds since the Unix epoch, floored.
pub(crate) fn micros(time: OffsetDateTime) -> i64 {
    let nanos = truncate(time).unix_timestamp_nanos();
    // Every `OffsetDateTime` (years -9999 to 9999) fits an i64 of microseconds.
    i64::try_from(nanos / 1_000).expect("an OffsetDateTime in microseconds fits an i64")
}

pub(crate) fn from_micros(micros: i64, column: &'static str) -> StoreResult<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
        .map_err(|_| invalid(column))
}

// ---------------------------------------------------------------- Column values

/// The columns that hold a provider's [`DcrConfig`].
pub(crate) struct DcrColumns<'a> {
    pub config_type: &'static str,
    pub initial_client_id: Option<&'a str>,
    pub initial_client_secret: Option<&'a [u8]>,
    pub initial_client_audience: Option<&'a str>,
}

pub(crate) fn dcr_columns(config: &DcrConfig) -> DcrColumns<'_> {
    match config {
        DcrConfig::Auth0 {
            initial_client_id,
            initial_client_secret,
            initial_client_audience,
        } => DcrColumns {
            config_type: "auth0",
            initial_client_id: Some(initial_client_id),
            initial_client_secret: Some(&initial_client_secret.0),
            initial_client_audience: initial_client_audience.as_deref(),
        },
        DcrConfig::Builtin => DcrColumns {
            config_type: "builtin",
            initial_client_id: None,
            initial_client_secret: None,
            initial_client_audience: None,
        },
    }
}

pub(crate) fn strategy_type(strategy_type: StrategyType) -> &'static str {
    match strategy_type {
        StrategyType::OpenidConnect => "openid_connect",
    }
}

fn parse_strategy_type(value: &str) -> Option<StrategyType> {
    match value {
        "openid_connect" => Some(StrategyType::OpenidConnect),
        _ => None,
    }
}

/// JSON text of a value stored as JSON, for backends without a JSON column type.
pub(crate) fn json_text<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value)
        .map_err(|error| StoreError::Backend(format!("cannot encode a JSON column: {error}")))
}

// ---------------------------------------------------------------- Domain objects

pub(crate) fn portal_settings(row: &impl Columns) -> StoreResult<PortalSettings> {
    let setup_provider = row.optional_uuid("setup_dcr_provider_id")?;
    let setup_strategy = row.optional_uuid("setup_auth_strategy_id")?;
    let application_setup = match (setup_provider, setup_strategy) {
        (Some(provider), Some(strategy)) => Some(ApplicationSetupIds {
            dcr_provider_id: Id::from_uuid(provider),
            auth_strategy_id: Id::from_uuid(strategy),
        }),
        (None, None) => None,
        _ => return Err(invalid("setup_dcr_provider_id")),
    };
    Ok(PortalSettings {
        auto_approve_developers: row.boolean("auto_approve_developers")?,
        auto_approve_registrations: row.boolean("auto_approve_registrations")?,
        default_auth_strategy_id: row
            .optional_uuid("default_auth_strategy_id")?
            .map(Id::from_uuid),
        application_setup,
    })
}

pub(crate) fn dcr_provider(row: &impl Columns) -> StoreResult<DcrProvider> {
    let dcr_config = match row.text("dcr_config_type")?.as_str() {
        "auth0" => DcrConfig::Auth0 {
            initial_client_id: row
                .optional_text("initial_client_id")?
                .ok_or_else(|| invalid("initial_client_id"))?,
            initial_client_secret: EncryptedSecret(
                row.optional_bytes("initial_client_secret")?
                    .ok_or_else(|| invalid("initial_client_secret"))?,
            ),
            initial_client_audience: row.optional_text("initial_client_audience")?,
        },
        "builtin" => DcrConfig::Builtin,
        _ => return Err(invalid("dcr_config_type")),
    };
    Ok(DcrProvider {
        id: Id::from_uuid(row.uuid("id")?),
        name: row.text("name")?,
        provider_type: ProviderType::parse(&row.text("provider_type")?)
            .ok_or_else(|| invalid("provider_type"))?,
        issuer: issuer(row, "issuer")?,
        dcr_config,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
    })
}

pub(crate) fn auth_strategy(row: &impl Columns) -> StoreResult<AuthStrategy> {
    Ok(AuthStrategy {
        id: Id::from_uuid(row.uuid("id")?),
        name: row.text("name")?,
        strategy_type: parse_strategy_type(&row.text("strategy_type")?)
            .ok_or_else(|| invalid("strategy_type"))?,
        dcr_provider_id: row.optional_uuid("dcr_provider_id")?.map(Id::from_uuid),
        openid_connect: row.json("openid_connect")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
    })
}

pub(crate) fn api(row: &impl Columns) -> StoreResult<Api> {
    Ok(Api {
        id: Id::from_uuid(row.uuid("id")?),
        name: row.text("name")?,
        slug: row.text("slug")?,
        description: row.text("description")?,
        version: row.text("version")?,
        upstream_url: url::Url::parse(&row.text("upstream_url")?)
            .map_err(|_| invalid("upstream_url"))?,
        routes: row.json("routes")?,
        auth_strategy_id: row.optional_uuid("auth_strategy_id")?.map(Id::from_uuid),
        published: row.boolean("published")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
    })
}

pub(crate) fn developer(row: &impl Columns) -> StoreResult<Developer> {
    Ok(Developer {
        id: Id::from_uuid(row.uuid("id")?),
        email: row.text("email")?,
        full_name: row.text("full_name")?,
        status: approval_status(row)?,
        password_hash: row.text("password_hash")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
    })
}

pub(crate) fn session(row: &impl Columns) -> StoreResult<Session> {
    Ok(Session {
        token_hash: row.text("token_hash")?,
        developer_id: Id::from_uuid(row.uuid("developer_id")?),
        created_at: row.time("created_at")?,
        expires_at: row.time("expires_at")?,
    })
}

pub(crate) fn application(row: &impl Columns) -> StoreResult<Application> {
    Ok(Application {
        id: Id::from_uuid(row.uuid("id")?),
        developer_id: Id::from_uuid(row.uuid("developer_id")?),
        name: row.text("name")?,
        description: row.text("description")?,
        redirect_uri: row.optional_text("redirect_uri")?,
        client_id: row.text("client_id")?,
        auth_strategy_id: Id::from_uuid(row.uuid("auth_strategy_id")?),
        dcr_provider_id: Id::from_uuid(row.uuid("dcr_provider_id")?),
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
    })
}

/// From a row of `idempotency_keys` that another request holds or completed.
pub(crate) fn idempotency_state(row: &impl Columns) -> StoreResult<IdempotencyState> {
    let request_hash = row.text("request_hash")?;
    Ok(match row.optional_uuid("application_id")? {
        Some(application_id) => IdempotencyState::Completed {
            request_hash,
            application_id: Id::from_uuid(application_id),
        },
        None => IdempotencyState::InProgress { request_hash },
    })
}

pub(crate) fn registration(row: &impl Columns) -> StoreResult<Registration> {
    Ok(Registration {
        id: Id::from_uuid(row.uuid("id")?),
        application_id: Id::from_uuid(row.uuid("application_id")?),
        api_id: Id::from_uuid(row.uuid("api_id")?),
        status: approval_status(row)?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
    })
}

pub(crate) fn idp_deletion(row: &impl Columns) -> StoreResult<PendingIdpDeletion> {
    Ok(PendingIdpDeletion {
        id: Id::from_uuid(row.uuid("id")?),
        dcr_provider_id: Id::from_uuid(row.uuid("dcr_provider_id")?),
        client_id: row.text("client_id")?,
        attempts: u32::try_from(row.integer("attempts")?).map_err(|_| invalid("attempts"))?,
        next_attempt_at: row.time("next_attempt_at")?,
        last_error: row.optional_text("last_error")?,
        created_at: row.time("created_at")?,
    })
}

pub(crate) fn builtin_client(row: &impl Columns) -> StoreResult<BuiltinClient> {
    Ok(BuiltinClient {
        client_id: row.text("client_id")?,
        secret_hash: row.text("secret_hash")?,
        name: row.text("name")?,
        audience: row.text("audience")?,
        application_id: row.optional_uuid("application_id")?.map(Id::from_uuid),
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
    })
}

pub(crate) fn signing_key(row: &impl Columns) -> StoreResult<SigningKey> {
    Ok(SigningKey {
        kid: row.text("kid")?,
        algorithm: row.text("algorithm")?,
        private_key: EncryptedSecret(
            row.optional_bytes("private_key")?
                .ok_or_else(|| invalid("private_key"))?,
        ),
        public_jwk: row.text("public_jwk")?,
        created_at: row.time("created_at")?,
        retires_at: row.optional_time("retires_at")?,
    })
}

fn approval_status(row: &impl Columns) -> StoreResult<ApprovalStatus> {
    ApprovalStatus::parse(&row.text("status")?).ok_or_else(|| invalid("status"))
}

fn issuer(row: &impl Columns, column: &'static str) -> StoreResult<Issuer> {
    // Checked on its way in; the built-in IdP's issuer may be plain http on any host.
    Issuer::from_stored(&row.text(column)?).map_err(|_| invalid(column))
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn times_are_floored_to_the_microsecond() {
        let time = datetime!(2024-05-06 07:08:09.123_456_789 UTC);
        assert_eq!(truncate(time), datetime!(2024-05-06 07:08:09.123_456 UTC));
        assert_eq!(from_micros(micros(time), "t").unwrap(), truncate(time));

        let before_1970 = datetime!(1969-12-31 23:59:59.999_999_999 UTC);
        assert_eq!(micros(before_1970), -1);
        assert_eq!(
            from_micros(micros(before_1970), "t").unwrap(),
            datetime!(1969-12-31 23:59:59.999_999 UTC)
        );
    }

    #[test]
    fn offsets_do_not_change_the_instant() {
        let local = datetime!(2024-05-06 09:08:09.5 +02:00);
        assert_eq!(from_micros(micros(local), "t").unwrap(), local);
    }
}
