//! The tenant's RS256 signing keys: generation, rotation, JWKS, signing and verification.
//!
//! Signing and verification use the `rsa` crate directly (PKCS#1 v1.5 with SHA-256) rather than
//! a JWT library, so the emulator can also produce deliberately broken tokens (lying headers,
//! `alg: none`, HS256 keyed with the public key) and tell verification failures apart.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::identifiers::new_key_id;

/// The DER prefix of a PKCS#1 v1.5 `DigestInfo` for SHA-256.
///
/// It is spelled out here because `Pkcs1v15Sign::new::<Sha256>()` needs the `oid` feature of
/// `sha2`, which the workspace does not enable; the bytes are fixed by RFC 8017, section 9.2.
const SHA256_DIGEST_INFO_PREFIX: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// The current signing key plus the older public keys still published during a rotation.
#[derive(Debug)]
pub(crate) struct KeyRing {
    current: SigningKey,
    previously_published: Vec<SigningKey>,
}

/// Why a presented token was not accepted; Auth0 reports all of these as "Invalid token".
#[derive(Debug)]
pub(crate) struct InvalidToken;

impl KeyRing {
    pub(crate) fn generate() -> KeyRing {
        KeyRing {
            current: SigningKey::generate(),
            previously_published: Vec::new(),
        }
    }

    /// Makes `new_key` the signing key. The old key either stays published (rotation window)
    /// or disappears, and with it the validity of every token it signed.
    pub(crate) fn install(&mut self, new_key: SigningKey, keep_old_published: bool) {
        let old_key = std::mem::replace(&mut self.current, new_key);
        if keep_old_published {
            self.previously_published.insert(0, old_key);
        } else {
            self.previously_published.clear();
        }
    }

    /// The JWKS document: the current key first, then the older published ones.
    pub(crate) fn jwks(&self) -> Value {
        let keys: Vec<Value> = std::iter::once(&self.current)
            .chain(self.previously_published.iter())
            .map(SigningKey::public_jwk)
            .collect();
        json!({ "keys": keys })
    }

    /// Signs claims as Auth0 signs access tokens: header `{"alg":"RS256","typ":"JWT","kid":…}`.
    pub(crate) fn sign_rs256(&self, claims: &Value) -> String {
        self.sign_with_header(claims, "RS256", Some(&self.current.kid))
    }

    pub(crate) fn sign_with_header(
        &self,
        claims: &Value,
        algorithm: &str,
        kid: Option<&str>,
    ) -> String {
        let mut header = Map::new();
        header.insert("alg".to_owned(), Value::from(algorithm));
        header.insert("typ".to_owned(), Value::from("JWT"));
        if let Some(kid) = kid {
            header.insert("kid".to_owned(), Value::from(kid));
        }
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(Value::Object(header).to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = match algorithm {
            "none" => Vec::new(),
            "HS256" => hmac_sha256(
                self.current.public_key_pem.as_bytes(),
                signing_input.as_bytes(),
            )
            .to_vec(),
            _ => self.current.sign(signing_input.as_bytes()),
        };
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// Checks that `token` is an RS256 JWT signed by a published key and returns its claims.
    /// Claims (expiry, audience) are the caller's business.
    pub(crate) fn verify(&self, token: &str) -> Result<Map<String, Value>, InvalidToken> {
        let mut segments = token.split('.');
        let (Some(encoded_header), Some(encoded_claims), Some(encoded_signature), None) = (
            segments.next(),
            segments.next(),
            segments.next(),
            segments.next(),
        ) else {
            return Err(InvalidToken);
        };
        let header = decode_json_object(encoded_header)?;
        if header.get("alg").and_then(Value::as_str) != Some("RS256") {
            return Err(InvalidToken);
        }
        let signature = URL_SAFE_NO_PAD
            .decode(encoded_signature)
            .map_err(|_| InvalidToken)?;
        let signing_input = &token[..encoded_header.len() + 1 + encoded_claims.len()];
        let requested_kid = header.get("kid").and_then(Value::as_str);
        let verified = std::iter::once(&self.current)
            .chain(self.previously_published.iter())
            .filter(|key| requested_kid.is_none_or(|kid| kid == key.kid))
            .any(|key| key.verify(signing_input.as_bytes(), &signature));
        if !verified {
            return Err(InvalidToken);
        }
        decode_json_object(encoded_claims)
    }
}

/// One RSA 2048 key pair with its key id.
pub(crate) struct SigningKey {
    kid: String,
    private_key: RsaPrivateKey,
    public_key: RsaPublicKey,
    public_key_pem: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The private key must never be printed; the kid is enough to tell keys apart.
        formatter
            .debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    pub(crate) fn generate() -> SigningKey {
        let private_key = RsaPrivateKey::new(&mut rand::thread_rng(), 2048)
            .expect("generating a 2048-bit RSA key failed");
        let public_key = RsaPublicKey::from(&private_key);
        let public_key_pem = public_key
            .to_public_key_pem(LineEnding::LF)
            .expect("encoding an RSA public key as PEM failed");
        SigningKey {
            kid: new_key_id(),
            private_key,
            public_key,
            public_key_pem,
        }
    }

    fn public_jwk(&self) -> Value {
        json!({
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": URL_SAFE_NO_PAD.encode(self.public_key.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(self.public_key.e().to_bytes_be()),
        })
    }

    fn sign(&self, message: &[u8]) -> Vec<u8> {
        let digest = Sha256::digest(message);
        self.private_key
            .sign_with_rng(&mut rand::thread_rng(), sha256_padding(), &digest)
            .expect("RS256 signing failed")
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let digest = Sha256::digest(message);
        self.public_key
            .verify(sha256_padding(), &digest, signature)
            .is_ok()
    }
}

fn sha256_padding() -> Pkcs1v15Sign {
    Pkcs1v15Sign {
        hash_len: Some(32),
        prefix: Box::new(SHA256_DIGEST_INFO_PREFIX),
    }
}

fn decode_json_object(segment: &str) -> Result<Map<String, Value>, InvalidToken> {
    let bytes = URL_SAFE_NO_PAD.decode(segment).map_err(|_| InvalidToken)?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(InvalidToken),
    }
}

/// HMAC-SHA256 (RFC 2104), only used to forge HS256 tokens for negative tests.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK_SIZE: usize = 64;
    let mut key_block = [0u8; BLOCK_SIZE];
    if key.len() > BLOCK_SIZE {
        key_block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        key_block[..key.len()].copy_from_slice(key);
    }
    let inner_pad: Vec<u8> = key_block.iter().map(|byte| byte ^ 0x36).collect();
    let outer_pad: Vec<u8> = key_block.iter().map(|byte| byte ^ 0x5c).collect();
    let inner_digest = Sha256::new()
        .chain_update(&inner_pad)
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(&outer_pad)
        .chain_update(inner_digest)
        .finalize()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_the_rfc_4231_test_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|byte| format!("{byte:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
