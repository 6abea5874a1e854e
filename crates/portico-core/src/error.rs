//! The errors of the use cases. They say what went wrong in domain words; the web crate maps
//! them to HTTP in one place.

use crate::ports::{IdpError, StoreError};

/// One invalid input field, named as the caller wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    /// Too many attempts; retry after this many seconds.
    #[error("too many attempts")]
    RateLimited { retry_after_secs: u64 },
    /// A provider's settings did not pass verification; one message per cause.
    #[error("verification failed: {}", .0.join("; "))]
    VerificationFailed(Vec<String>),
    /// The operation is valid but cannot be done in this state (for example a provider type
    /// without DCR support).
    #[error("{0}")]
    Unprocessable(String),
    #[error(transparent)]
    Idp(#[from] IdpError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl CoreError {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        CoreError::Invalid(vec![FieldError::new(field, reason)])
    }
}

impl From<StoreError> for CoreError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => CoreError::NotFound("resource"),
            StoreError::Conflict(what) => CoreError::Conflict(what),
            StoreError::Backend(message) => CoreError::Internal(message),
        }
    }
}

impl From<crate::secret::CipherError> for CoreError {
    fn from(error: crate::secret::CipherError) -> Self {
        CoreError::Internal(error.to_string())
    }
}

pub type CoreResult<T> = Result<T, CoreError>;
