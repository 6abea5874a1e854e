//! Random identifiers in the shapes Auth0 uses.

use rand::distributions::{Alphanumeric, DistString};
use rand::Rng;

/// The alphabet of Auth0 client secrets: 64 characters of `[A-Za-z0-9_-]`.
const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

/// A client id: 32 alphanumeric characters, like `yCaTa3Jtg6Rni9tHKgSWQPGM2Fdhmo6W`.
pub(crate) fn new_client_id() -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), 32)
}

/// A client secret: 64 characters of `[A-Za-z0-9_-]`.
pub(crate) fn new_client_secret() -> String {
    let mut random = rand::thread_rng();
    (0..64)
        .map(|_| SECRET_ALPHABET[random.gen_range(0..SECRET_ALPHABET.len())] as char)
        .collect()
}

/// A client grant id: `cgr_` followed by 16 alphanumeric characters.
pub(crate) fn new_client_grant_id() -> String {
    format!(
        "cgr_{}",
        Alphanumeric.sample_string(&mut rand::thread_rng(), 16)
    )
}

/// A signing key id, shaped like Auth0's (for example `FChMh5aiSbbpUSQfa03b1`).
pub(crate) fn new_key_id() -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), 21)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_have_auth0_shapes() {
        let client_id = new_client_id();
        assert_eq!(client_id.len(), 32);
        assert!(client_id
            .chars()
            .all(|character| character.is_ascii_alphanumeric()));

        let secret = new_client_secret();
        assert_eq!(secret.len(), 64);
        assert!(secret
            .chars()
            .all(|character| character.is_ascii_alphanumeric()
                || character == '_'
                || character == '-'));

        let grant_id = new_client_grant_id();
        assert_eq!(grant_id.len(), 20);
        assert!(grant_id.starts_with("cgr_"));
        assert!(grant_id[4..]
            .chars()
            .all(|character| character.is_ascii_alphanumeric()));
    }
}
