//! Typed identifiers: an `ApplicationId` cannot be passed where a `DeveloperId` is expected.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// A UUID tagged with the kind of object it names.
///
/// The tag is a zero-sized marker type, so the id costs exactly one UUID at run time.
pub struct Id<Kind> {
    uuid: Uuid,
    kind: PhantomData<fn() -> Kind>,
}

impl<Kind> Id<Kind> {
    /// A new, time-ordered id (UUIDv7), so that rows sort by creation in every backend.
    pub fn new() -> Self {
        Self::from_uuid(Uuid::now_v7())
    }

    pub fn from_uuid(uuid: Uuid) -> Self {
        Self {
            uuid,
            kind: PhantomData,
        }
    }

    pub fn as_uuid(&self) -> Uuid {
        self.uuid
    }
}

impl<Kind> Default for Id<Kind> {
    fn default() -> Self {
        Self::new()
    }
}

// Manual impls: derives would demand the marker types implement these traits too.
impl<Kind> Clone for Id<Kind> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<Kind> Copy for Id<Kind> {}
impl<Kind> PartialEq for Id<Kind> {
    fn eq(&self, other: &Self) -> bool {
        self.uuid == other.uuid
    }
}
impl<Kind> Eq for Id<Kind> {}
impl<Kind> Hash for Id<Kind> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.uuid.hash(state)
    }
}
impl<Kind> PartialOrd for Id<Kind> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<Kind> Ord for Id<Kind> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.uuid.cmp(&other.uuid)
    }
}
impl<Kind> fmt::Debug for Id<Kind> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.uuid, f)
    }
}
impl<Kind> fmt::Display for Id<Kind> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.uuid, f)
    }
}
impl<Kind> FromStr for Id<Kind> {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(Self::from_uuid)
    }
}
impl<Kind> Serialize for Id<Kind> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.uuid.serialize(serializer)
    }
}
impl<'de, Kind> Deserialize<'de> for Id<Kind> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Uuid::deserialize(deserializer).map(Self::from_uuid)
    }
}

/// Marker types naming what an [`Id`] identifies.
pub mod kind {
    pub enum DcrProvider {}
    pub enum AuthStrategy {}
    pub enum Api {}
    pub enum Developer {}
    pub enum Application {}
    pub enum Registration {}
    pub enum PendingDeletion {}
}

pub type DcrProviderId = Id<kind::DcrProvider>;
pub type AuthStrategyId = Id<kind::AuthStrategy>;
pub type ApiId = Id<kind::Api>;
pub type DeveloperId = Id<kind::Developer>;
pub type ApplicationId = Id<kind::Application>;
pub type RegistrationId = Id<kind::Registration>;
pub type PendingDeletionId = Id<kind::PendingDeletion>;
