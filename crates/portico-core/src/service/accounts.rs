//! Developer accounts: sign-up, sign-in with sessions, and approval.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;

use super::{not_found_as, Portico};
use crate::error::{CoreError, CoreResult};
use crate::id::DeveloperId;
use crate::model::{ApprovalStatus, Developer, Session};
use crate::ports::StoreError;
use crate::secret::SecretString;
use crate::validate::{normalize_email, Checker};

/// How long a session lasts, in seconds (12 hours).
pub const SESSION_LIFETIME_SECS: i64 = 12 * 60 * 60;
const MIN_PASSWORD_CHARS: usize = 8;
const MAX_PASSWORD_CHARS: usize = 256;
/// Failed sign-ins allowed per account within [`FAILURE_WINDOW`] before it is locked for the
/// rest of the window.
const MAX_FAILURES: u32 = 5;
const FAILURE_WINDOW: Duration = Duration::from_secs(300);

#[derive(Debug, Clone)]
pub struct SignUp {
    pub email: String,
    pub password: SecretString,
    pub full_name: String,
}

/// A successful sign-in: the session token is shown to the caller once and only its hash kept.
#[derive(Debug)]
pub struct SignIn {
    pub token: SecretString,
    pub expires_in: i64,
    pub developer: Developer,
}

impl Portico {
    pub async fn sign_up(&self, input: SignUp) -> CoreResult<Developer> {
        let mut checker = Checker::new();
        let email = normalize_email(&input.email);
        if email.is_none() {
            checker.fail("email", "must be an email address");
        }
        checker.name("full_name", &input.full_name);
        let password_chars = input.password.expose().chars().count();
        if password_chars < MIN_PASSWORD_CHARS {
            checker.fail(
                "password",
                format!("must be at least {MIN_PASSWORD_CHARS} characters"),
            );
        } else if password_chars > MAX_PASSWORD_CHARS {
            checker.fail(
                "password",
                format!("must be at most {MAX_PASSWORD_CHARS} characters"),
            );
        }
        checker.finish()?;

        let settings = self.store.portal_settings().await?;
        let password_hash = hash_password(input.password).await?;
        let now = self.now();
        let developer = Developer {
            id: DeveloperId::new(),
            email: email.expect("checked above"),
            full_name: input.full_name.trim().to_owned(),
            status: if settings.auto_approve_developers {
                ApprovalStatus::Approved
            } else {
                ApprovalStatus::Pending
            },
            password_hash,
            created_at: now,
            updated_at: now,
        };
        match self.store.insert_developer(&developer).await {
            Ok(()) => Ok(developer),
            Err(StoreError::Conflict(_)) => Err(CoreError::Conflict(
                "a developer with this email already exists".into(),
            )),
            Err(other) => Err(other.into()),
        }
    }

    /// Checks the password and opens a session. Unknown address and wrong password answer
    /// alike, and take alike long.
    pub async fn sign_in(&self, email: &str, password: SecretString) -> CoreResult<SignIn> {
        let email = normalize_email(email).unwrap_or_default();
        // Counted before the slow password check, so that parallel guesses cannot all pass
        // the limit; a success clears the count.
        self.sign_in_limiter.check_and_count(&email)?;
        let developer = match self.store.developer_by_email(&email).await {
            Ok(developer) => Some(developer),
            Err(StoreError::NotFound) => None,
            Err(other) => return Err(other.into()),
        };
        let stored_hash = developer
            .as_ref()
            .map(|developer| developer.password_hash.clone())
            .unwrap_or_else(|| DUMMY_HASH.to_owned());
        let password_ok = verify_password(password, stored_hash).await?;
        let developer = match developer {
            Some(developer) if password_ok => developer,
            _ => {
                return Err(CoreError::Unauthenticated(
                    "the email or password is wrong".into(),
                ));
            }
        };
        self.sign_in_limiter.clear(&email);
        match developer.status {
            ApprovalStatus::Approved => {}
            ApprovalStatus::Pending => {
                return Err(CoreError::Forbidden(
                    "your account is waiting for approval".into(),
                ))
            }
            ApprovalStatus::Rejected | ApprovalStatus::Revoked => {
                return Err(CoreError::Forbidden("your account is not active".into()))
            }
        }
        let token = SecretString::random(32);
        let now = self.now();
        self.store
            .insert_session(&Session {
                token_hash: token.sha256_hex(),
                developer_id: developer.id,
                created_at: now,
                expires_at: now + time::Duration::seconds(SESSION_LIFETIME_SECS),
            })
            .await?;
        Ok(SignIn {
            token,
            expires_in: SESSION_LIFETIME_SECS,
            developer,
        })
    }

    /// The approved developer a session token belongs to.
    pub async fn developer_for_session(&self, token: &SecretString) -> CoreResult<Developer> {
        let unauthenticated = || CoreError::Unauthenticated("sign in first".into());
        let session = match self.store.session(&token.sha256_hex(), self.now()).await {
            Ok(session) => session,
            Err(StoreError::NotFound) => return Err(unauthenticated()),
            Err(other) => return Err(other.into()),
        };
        let developer = self
            .store
            .developer(session.developer_id)
            .await
            .map_err(|_| unauthenticated())?;
        if developer.status != ApprovalStatus::Approved {
            return Err(unauthenticated());
        }
        Ok(developer)
    }

    /// Forgets expired sessions and idempotency keys older than a day; the binary runs this
    /// periodically. Returns how many rows went.
    pub async fn purge_expired(&self) -> CoreResult<u64> {
        let now = self.now();
        Ok(self
            .store
            .purge_expired(now, now - time::Duration::days(1))
            .await?)
    }

    pub async fn sign_out(&self, token: &SecretString) -> CoreResult<()> {
        Ok(self.store.delete_session(&token.sha256_hex()).await?)
    }

    pub async fn developers(&self) -> CoreResult<Vec<Developer>> {
        Ok(self.store.developers().await?)
    }

    pub async fn developer(&self, id: DeveloperId) -> CoreResult<Developer> {
        self.store
            .developer(id)
            .await
            .map_err(|error| not_found_as(error, "developer"))
    }

    /// Approves, rejects or revokes a developer. A developer who loses approval is signed out
    /// everywhere at once.
    pub async fn set_developer_status(
        &self,
        id: DeveloperId,
        status: ApprovalStatus,
    ) -> CoreResult<Developer> {
        let mut developer = self.developer(id).await?;
        developer.status = status;
        developer.updated_at = self.now();
        self.store.update_developer(&developer).await?;
        if status != ApprovalStatus::Approved {
            self.store.delete_sessions_of(id).await?;
        }
        Ok(developer)
    }
}

/// A valid argon2id hash of a random password, verified against when the account does not
/// exist so that unknown addresses cost the same time as wrong passwords.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Tz0WgJ7sMmXx4yGmnG2QdQ1h0m3w7G0F0qY8n0wq2yE";

async fn hash_password(password: SecretString) -> CoreResult<String> {
    // Argon2 is deliberately slow; keep it off the async worker threads.
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|error| CoreError::Internal(format!("password hashing failed: {error}")))
    })
    .await
    .map_err(|error| CoreError::Internal(error.to_string()))?
}

async fn verify_password(password: SecretString, stored_hash: String) -> CoreResult<bool> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&stored_hash)
            .map_err(|error| CoreError::Internal(format!("stored password hash: {error}")))?;
        Ok(Argon2::default()
            .verify_password(password.expose().as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(|error| CoreError::Internal(error.to_string()))?
}

/// Counts failed sign-ins per account, in memory: after [`MAX_FAILURES`] within the window the
/// account is refused until the window ends, whatever the password.
#[derive(Debug, Default)]
pub(crate) struct SignInLimiter {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl SignInLimiter {
    /// Refuses an account over its limit; otherwise counts this attempt as a failure until
    /// [`SignInLimiter::clear`] says it succeeded.
    fn check_and_count(&self, email: &str) -> CoreResult<()> {
        let mut failures = self.failures.lock().expect("sign-in limiter poisoned");
        if let Some((count, since)) = failures.get(email) {
            let elapsed = since.elapsed();
            if *count >= MAX_FAILURES && elapsed < FAILURE_WINDOW {
                return Err(CoreError::RateLimited {
                    retry_after_secs: (FAILURE_WINDOW - elapsed).as_secs().max(1),
                });
            }
        }
        // Keep the map bounded: forget windows that are over.
        if failures.len() > 10_000 {
            failures.retain(|_, (_, since)| since.elapsed() < FAILURE_WINDOW);
        }
        let entry = failures
            .entry(email.to_owned())
            .or_insert((0, Instant::now()));
        if entry.1.elapsed() >= FAILURE_WINDOW {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
        Ok(())
    }

    fn clear(&self, email: &str) {
        self.failures
            .lock()
            .expect("sign-in limiter poisoned")
            .remove(email);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dummy_hash_parses() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn limiter_locks_after_five_failures() {
        let limiter = SignInLimiter::default();
        for _ in 0..MAX_FAILURES {
            assert!(limiter.check_and_count("a@b.c").is_ok());
        }
        assert!(matches!(
            limiter.check_and_count("a@b.c"),
            Err(CoreError::RateLimited { .. })
        ));
        assert!(limiter.check_and_count("other@b.c").is_ok());
        limiter.clear("other@b.c");
        for _ in 0..MAX_FAILURES {
            assert!(limiter.check_and_count("other@b.c").is_ok());
        }
    }
}
