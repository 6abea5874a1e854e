//! The built-in identity provider's cryptography: RSA 2048 key pairs and RS256 signatures,
//! behind the core's [`KeyMaker`] port.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use portico_core::ports::{GeneratedKey, KeyMaker, SigningError};
use portico_core::SecretString;
use rand::RngCore;
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;

/// RSA keys of 2048 bits: what Auth0 and most IdPs sign access tokens with, and large
/// enough until well past 2030 (NIST SP 800-57).
const RSA_BITS: usize = 2048;

/// The [`KeyMaker`] the binary wires in.
#[derive(Debug, Default, Clone, Copy)]
pub struct RsaKeyMaker;

impl KeyMaker for RsaKeyMaker {
    fn generate_rsa(&self) -> GeneratedKey {
        let private_key = RsaPrivateKey::new(&mut rand::thread_rng(), RSA_BITS)
            .expect("generating an RSA key with the system's random numbers cannot fail");
        let private_pem = private_key
            .to_pkcs8_pem(LineEnding::LF)
            .expect("an RSA key just generated encodes as PKCS#8");
        let kid = new_kid();
        let public_key = private_key.to_public_key();
        let public_jwk = serde_json::json!({
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": kid,
            "n": URL_SAFE_NO_PAD.encode(public_key.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(public_key.e().to_bytes_be()),
        })
        .to_string();
        GeneratedKey {
            kid,
            private_pem: SecretString::new(private_pem.as_str()),
            public_jwk,
        }
    }

    fn sign_rs256(
        &self,
        private_pem: &SecretString,
        kid: &str,
        claims: &serde_json::Value,
    ) -> Result<String, SigningError> {
        let key = EncodingKey::from_rsa_pem(private_pem.expose().as_bytes())
            .map_err(|error| SigningError(format!("the private key is unusable: {error}")))?;
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.to_owned());
        jsonwebtoken::encode(&header, claims, &key).map_err(|error| SigningError(error.to_string()))
    }
}

/// 16 random bytes, base64url: unique, and telling nothing about the key.
fn new_kid() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::jwk::Jwk;
    use jsonwebtoken::{DecodingKey, Validation};

    #[test]
    fn a_signed_token_verifies_with_the_published_jwk() {
        let maker = RsaKeyMaker;
        let key = maker.generate_rsa();
        assert!(key
            .private_pem
            .expose()
            .starts_with("-----BEGIN PRIVATE KEY-----"));
        assert!(!format!("{key:?}").contains("PRIVATE"));
        let claims =
            serde_json::json!({"sub": "client", "aud": "portico", "exp": 4_000_000_000u64});
        let token = maker
            .sign_rs256(&key.private_pem, &key.kid, &claims)
            .unwrap();

        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.alg, Algorithm::RS256);
        assert_eq!(header.kid.as_deref(), Some(key.kid.as_str()));
        let jwk: Jwk = serde_json::from_str(&key.public_jwk).unwrap();
        assert_eq!(jwk.common.key_id.as_deref(), Some(key.kid.as_str()));
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&["portico"]);
        let decoded = jsonwebtoken::decode::<serde_json::Value>(
            &token,
            &DecodingKey::from_jwk(&jwk).unwrap(),
            &validation,
        )
        .unwrap();
        assert_eq!(decoded.claims["sub"], "client");

        // Another key's JWK does not verify it.
        let other = maker.generate_rsa();
        assert_ne!(other.kid, key.kid);
        let other_jwk: Jwk = serde_json::from_str(&other.public_jwk).unwrap();
        assert!(jsonwebtoken::decode::<serde_json::Value>(
            &token,
            &DecodingKey::from_jwk(&other_jwk).unwrap(),
            &validation,
        )
        .is_err());
    }

    #[test]
    fn a_bad_private_key_is_an_error_not_a_panic() {
        let error = RsaKeyMaker
            .sign_rs256(
                &SecretString::new("not a key"),
                "kid",
                &serde_json::json!({}),
            )
            .unwrap_err();
        assert!(error.0.contains("unusable"));
    }
}
