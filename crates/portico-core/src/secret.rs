//! Secrets as types that cannot leak by accident, and their encryption at rest.

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, OsRng};
use aes_gcm::{AeadCore, Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A secret string: its `Debug` prints `[redacted]`, it has no `Display`, and equality is
/// checked in constant time.
#[derive(Clone, Default)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret in the clear. Call sites are easy to audit with a search for `expose`.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// SHA-256 of the secret, hex encoded: how session tokens and client secrets are looked up
    /// without being stored.
    pub fn sha256_hex(&self) -> String {
        sha256_hex(self.0.as_bytes())
    }

    /// A random URL-safe token of `bytes` random bytes.
    pub fn random(bytes: usize) -> Self {
        let mut buffer = vec![0u8; bytes];
        rand::thread_rng().fill_bytes(&mut buffer);
        Self(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buffer))
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl PartialEq for SecretString {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}
impl Eq for SecretString {}

impl<'de> serde::Deserialize<'de> for SecretString {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(SecretString)
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// A secret encrypted with AES-256-GCM: 12-byte nonce followed by ciphertext and tag.
#[derive(Clone, PartialEq, Eq)]
pub struct EncryptedSecret(pub Vec<u8>);

impl fmt::Debug for EncryptedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EncryptedSecret({} bytes)", self.0.len())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CipherError {
    #[error("the secret key must be 32 bytes encoded in base64")]
    BadKey,
    #[error(
        "a stored secret could not be decrypted: the secret key has changed or the data is corrupt"
    )]
    Decrypt,
}

/// Encrypts the secrets Portico must keep under `PORTICO_SECRET_KEY`.
#[derive(Clone)]
pub struct SecretCipher {
    cipher: Aes256Gcm,
}

impl fmt::Debug for SecretCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretCipher([redacted])")
    }
}

impl SecretCipher {
    pub fn from_base64(key: &str) -> Result<Self, CipherError> {
        let bytes = BASE64.decode(key.trim()).map_err(|_| CipherError::BadKey)?;
        if bytes.len() != 32 {
            return Err(CipherError::BadKey);
        }
        Ok(Self {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&bytes)),
        })
    }

    /// A fresh random key, base64 encoded, for a first start without `PORTICO_SECRET_KEY`.
    pub fn generate_key_base64() -> String {
        BASE64.encode(Aes256Gcm::generate_key(OsRng))
    }

    pub fn encrypt(&self, secret: &SecretString) -> EncryptedSecret {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ciphertext = self
            .cipher
            .encrypt(&nonce, secret.expose().as_bytes())
            .expect("AES-GCM encryption of an in-memory buffer cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ciphertext);
        EncryptedSecret(out)
    }

    pub fn decrypt(&self, encrypted: &EncryptedSecret) -> Result<SecretString, CipherError> {
        if encrypted.0.len() < 12 {
            return Err(CipherError::Decrypt);
        }
        let (nonce, ciphertext) = encrypted.0.split_at(12);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map_err(|_| CipherError::Decrypt)?;
        String::from_utf8(plain)
            .map(SecretString)
            .map_err(|_| CipherError::Decrypt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let secret = SecretString::new("hunter2");
        assert_eq!(format!("{secret:?}"), "[redacted]");
        let cipher = SecretCipher::from_base64(&SecretCipher::generate_key_base64()).unwrap();
        assert!(!format!("{cipher:?}").contains("hunter2"));
    }

    #[test]
    fn encryption_round_trips_and_detects_a_wrong_key() {
        let cipher = SecretCipher::from_base64(&SecretCipher::generate_key_base64()).unwrap();
        let encrypted = cipher.encrypt(&SecretString::new("s3cret"));
        assert!(!encrypted.0.windows(6).any(|w| w == b"s3cret"));
        assert_eq!(cipher.decrypt(&encrypted).unwrap().expose(), "s3cret");
        let other = SecretCipher::from_base64(&SecretCipher::generate_key_base64()).unwrap();
        assert!(other.decrypt(&encrypted).is_err());
    }

    #[test]
    fn a_short_key_is_refused() {
        assert!(SecretCipher::from_base64("c2hvcnQ=").is_err());
    }
}
