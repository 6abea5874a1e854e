//! Client secrets, kept out of Debug output and compared in constant time.

use sha2::{Digest, Sha256};

/// A client secret as the tenant stores it.
///
/// It has no `Display` and its `Debug` prints `[redacted]`, so a secret cannot end up in a log
/// line or a panic message by accident.
#[derive(Clone)]
pub(crate) struct ClientSecret(String);

impl ClientSecret {
    pub(crate) fn new(value: String) -> ClientSecret {
        ClientSecret(value)
    }

    /// The secret itself, for the few places that must hand it out (creation, rotation, tests).
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// Compares a presented secret with this one without leaking, through timing, how many
    /// leading characters matched.
    pub(crate) fn matches(&self, candidate: &str) -> bool {
        constant_time_equal(self.0.as_bytes(), candidate.as_bytes())
    }
}

impl std::fmt::Debug for ClientSecret {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("ClientSecret([redacted])")
    }
}

/// Compares the SHA-256 digests of both values with a fold that visits every byte.
///
/// Hashing first makes the comparison length-independent (digests are always 32 bytes), and the
/// fold never exits early, so the running time does not depend on where the values differ.
fn constant_time_equal(left: &[u8], right: &[u8]) -> bool {
    let left_digest = Sha256::digest(left);
    let right_digest = Sha256::digest(right);
    let difference = left_digest
        .iter()
        .zip(right_digest.iter())
        .fold(0u8, |accumulated, (left_byte, right_byte)| {
            accumulated | (left_byte ^ right_byte)
        });
    difference == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_only_the_exact_secret_and_never_prints_it() {
        let secret = ClientSecret::new("s3cr3t-value".to_owned());
        assert!(secret.matches("s3cr3t-value"));
        assert!(!secret.matches("s3cr3t-valuE"));
        assert!(!secret.matches("s3cr3t-value "));
        assert!(!secret.matches(""));
        assert!(!format!("{secret:?}").contains("s3cr3t"));
    }
}
