//! Portico's domain: developers, applications, APIs, registrations, DCR providers and auth
//! strategies, with the use cases that tie them together. It reaches storage, identity
//! providers and the clock only through the traits in [`ports`]; it does no I/O itself and
//! knows nothing of HTTP, SQL or any particular IdP.

pub mod error;
pub mod id;
pub mod issuer;
pub mod model;
pub mod ports;
pub mod secret;
pub mod service;
pub mod validate;

pub use error::{CoreError, FieldError};
pub use issuer::Issuer;
pub use secret::{EncryptedSecret, SecretCipher, SecretString};
