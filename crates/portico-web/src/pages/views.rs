//! What templates show: domain objects flattened to the strings a page prints.

use std::collections::HashMap;

use portico_core::model::{Api, Application, ApprovalStatus, Developer, Registration};
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::OffsetDateTime;

const DATE: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");

pub(crate) fn date(at: OffsetDateTime) -> String {
    at.format(DATE).unwrap_or_default()
}

/// A status word and the badge style it gets.
pub(crate) struct StatusView {
    pub word: &'static str,
    pub tone: &'static str,
}

impl From<ApprovalStatus> for StatusView {
    fn from(status: ApprovalStatus) -> Self {
        let (word, tone) = match status {
            ApprovalStatus::Approved => ("Approved", "good"),
            ApprovalStatus::Pending => ("Pending", "wait"),
            ApprovalStatus::Rejected => ("Rejected", "bad"),
            ApprovalStatus::Revoked => ("Revoked", "bad"),
        };
        StatusView { word, tone }
    }
}

pub(crate) struct ApiView {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub version: String,
    pub description: String,
    pub upstream_url: String,
    pub paths: Vec<String>,
    pub methods: String,
    pub published: bool,
}

impl From<&Api> for ApiView {
    fn from(api: &Api) -> Self {
        let paths = api
            .routes
            .iter()
            .flat_map(|route| route.paths.iter().cloned())
            .collect();
        let mut methods: Vec<String> = api
            .routes
            .iter()
            .flat_map(|route| route.methods.iter().cloned())
            .collect();
        methods.dedup();
        ApiView {
            id: api.id.to_string(),
            slug: api.slug.clone(),
            name: api.name.clone(),
            version: api.version.clone(),
            description: api.description.clone(),
            upstream_url: api.upstream_url.to_string(),
            paths,
            methods: if methods.is_empty() {
                "Any method".into()
            } else {
                methods.join(", ")
            },
            published: api.published,
        }
    }
}

pub(crate) struct ApplicationView {
    pub id: String,
    pub name: String,
    pub description: String,
    pub redirect_uri: String,
    pub client_id: String,
    pub created: String,
}

impl From<&Application> for ApplicationView {
    fn from(application: &Application) -> Self {
        ApplicationView {
            id: application.id.to_string(),
            name: application.name.clone(),
            description: application.description.clone(),
            redirect_uri: application.redirect_uri.clone().unwrap_or_default(),
            client_id: application.client_id.clone(),
            created: date(application.created_at),
        }
    }
}

pub(crate) struct DeveloperView {
    pub id: String,
    pub full_name: String,
    pub email: String,
    pub status: StatusView,
    pub is_approved: bool,
    pub is_pending: bool,
    pub joined: String,
}

impl From<&Developer> for DeveloperView {
    fn from(developer: &Developer) -> Self {
        DeveloperView {
            id: developer.id.to_string(),
            full_name: developer.full_name.clone(),
            email: developer.email.clone(),
            status: developer.status.into(),
            is_approved: developer.status == ApprovalStatus::Approved,
            is_pending: developer.status == ApprovalStatus::Pending,
            joined: date(developer.created_at),
        }
    }
}

/// A registration with the names of what it joins.
pub(crate) struct RegistrationView {
    pub id: String,
    pub api_name: String,
    pub api_slug: String,
    pub application_name: String,
    pub developer: String,
    pub status: StatusView,
    pub is_pending: bool,
    pub is_approved: bool,
    pub requested: String,
}

/// Looks names up for registrations; unknown ids show as "(deleted)".
pub(crate) struct Names {
    pub apis: HashMap<String, (String, String)>,
    pub applications: HashMap<String, (String, String)>,
    pub developers: HashMap<String, String>,
}

impl Names {
    pub fn registration(&self, registration: &Registration) -> RegistrationView {
        let (api_name, api_slug) = self
            .apis
            .get(&registration.api_id.to_string())
            .cloned()
            .unwrap_or_else(|| ("(deleted API)".into(), String::new()));
        let (application_name, developer_id) = self
            .applications
            .get(&registration.application_id.to_string())
            .cloned()
            .unwrap_or_else(|| ("(deleted application)".into(), String::new()));
        let developer = self
            .developers
            .get(&developer_id)
            .cloned()
            .unwrap_or_default();
        RegistrationView {
            id: registration.id.to_string(),
            api_name,
            api_slug,
            application_name,
            developer,
            status: registration.status.into(),
            is_pending: registration.status == ApprovalStatus::Pending,
            is_approved: registration.status == ApprovalStatus::Approved,
            requested: date(registration.created_at),
        }
    }
}

/// Splits a list typed into one text field ("openid profile", "azp, sub").
pub(crate) fn split_list(value: &str) -> Vec<String> {
    value
        .split(|character: char| character == ',' || character.is_whitespace())
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}
