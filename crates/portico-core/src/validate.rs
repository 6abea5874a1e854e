//! Input rules shared by every surface (JSON APIs and HTML forms alike).

use crate::error::FieldError;

/// Auth0 refuses client descriptions longer than this; Portico refuses them first.
pub const MAX_DESCRIPTION_CHARS: usize = 140;
pub const MAX_NAME_CHARS: usize = 128;

/// Collects field errors so a caller hears about all of them at once.
#[derive(Debug, Default)]
pub struct Checker {
    errors: Vec<FieldError>,
}

impl Checker {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn fail(&mut self, field: &str, reason: impl Into<String>) {
        self.errors.push(FieldError::new(field, reason));
    }

    pub fn name(&mut self, field: &str, value: &str) {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            self.fail(field, "must not be empty");
        } else if trimmed.chars().count() > MAX_NAME_CHARS {
            self.fail(
                field,
                format!("must be at most {MAX_NAME_CHARS} characters"),
            );
        } else if trimmed.contains('<') || trimmed.contains('>') {
            self.fail(field, "must not contain < or >");
        }
    }

    pub fn description(&mut self, field: &str, value: &str) {
        let count = value.chars().count();
        if count > MAX_DESCRIPTION_CHARS {
            self.fail(
                field,
                format!("must be at most {MAX_DESCRIPTION_CHARS} characters (got {count})"),
            );
        }
    }

    /// An absolute http(s) URL, as Auth0 requires for callbacks.
    pub fn redirect_uri(&mut self, field: &str, value: &str) {
        self.http_url(field, value);
    }

    pub fn http_url(&mut self, field: &str, value: &str) -> Option<url::Url> {
        match url::Url::parse(value) {
            Ok(url)
                if (url.scheme() == "https" || url.scheme() == "http") && url.host().is_some() =>
            {
                Some(url)
            }
            _ => {
                self.fail(field, "must be an absolute http or https URL");
                None
            }
        }
    }

    pub fn route_path(&mut self, field: &str, value: &str) {
        if !value.starts_with('/') {
            self.fail(field, "must start with /");
        }
    }

    pub fn finish(self) -> Result<(), crate::CoreError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(crate::CoreError::Invalid(self.errors))
        }
    }
}

/// Emails are compared lower-cased; the check is deliberately loose (one `@`, something
/// either side), since the only true check is a mail that arrives.
pub fn normalize_email(value: &str) -> Option<String> {
    let email = value.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    if local.is_empty() || domain.is_empty() || domain.contains('@') || email.len() > 254 {
        return None;
    }
    Some(email)
}

/// A URL-friendly slug from a name: lower-case letters, digits and single dashes.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for character in name.trim().chars() {
        if character.is_ascii_alphanumeric() {
            slug.push(character.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn description_limit_is_auth0s() {
        let mut checker = Checker::new();
        checker.description("description", &"x".repeat(140));
        assert!(checker.finish().is_ok());
        let mut checker = Checker::new();
        checker.description("description", &"x".repeat(141));
        let error = checker.finish().unwrap_err();
        assert!(matches!(error, crate::CoreError::Invalid(ref f) if f[0].field == "description"));
    }

    #[test]
    fn slugs_and_emails() {
        assert_eq!(slugify("  My Great API v2! "), "my-great-api-v2");
        assert_eq!(
            normalize_email(" Ada@Example.COM "),
            Some("ada@example.com".into())
        );
        assert_eq!(normalize_email("nope"), None);
    }
}
