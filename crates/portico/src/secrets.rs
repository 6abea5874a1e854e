//! The admin token and the secret key: taken from the environment, or generated into the data
//! dir at first start with mode 0600.

use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::Context;
use portico_core::{SecretCipher, SecretString};

pub const ADMIN_TOKEN_FILE: &str = "admin-token";
pub const SECRET_KEY_FILE: &str = "secret-key";

/// A secret and whether this start generated it (then it is printed once).
pub struct Loaded {
    pub value: SecretString,
    pub generated: bool,
}

pub fn admin_token(data_dir: &Path) -> anyhow::Result<Loaded> {
    if let Ok(token) = std::env::var("PORTICO_ADMIN_TOKEN") {
        if token.trim().len() < 16 {
            anyhow::bail!("PORTICO_ADMIN_TOKEN must be at least 16 characters");
        }
        return Ok(Loaded {
            value: SecretString::new(token.trim()),
            generated: false,
        });
    }
    load_or_generate(&data_dir.join(ADMIN_TOKEN_FILE), || {
        SecretString::random(32).expose().to_owned()
    })
}

pub fn secret_key(data_dir: &Path) -> anyhow::Result<SecretCipher> {
    let key = match std::env::var("PORTICO_SECRET_KEY") {
        Ok(key) => SecretString::new(key),
        Err(_) => {
            load_or_generate(
                &data_dir.join(SECRET_KEY_FILE),
                SecretCipher::generate_key_base64,
            )?
            .value
        }
    };
    SecretCipher::from_base64(key.expose())
        .context("PORTICO_SECRET_KEY (or the secret-key file) must be 32 bytes in base64")
}

fn load_or_generate(path: &Path, generate: impl FnOnce() -> String) -> anyhow::Result<Loaded> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Loaded {
            value: SecretString::new(text.trim()),
            generated: false,
        }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let value = generate();
            write_private(path, &value)?;
            Ok(Loaded {
                value: SecretString::new(value),
                generated: true,
            })
        }
        Err(error) => Err(error).with_context(|| format!("could not read {}", path.display())),
    }
}

/// Writes a file only its owner may read, created with that mode (never readable in between).
fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("could not create {}", path.display()))?;
    file.write_all(contents.as_bytes())?;
    file.write_all(b"\n")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_files_are_private_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_generate(&dir.path().join("x"), || "abc".into()).unwrap();
        assert!(first.generated);
        let second = load_or_generate(&dir.path().join("x"), || "other".into()).unwrap();
        assert!(!second.generated);
        assert_eq!(second.value.expose(), "abc");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join("x"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let cipher = secret_key(dir.path());
        assert!(cipher.is_ok());
    }
}
