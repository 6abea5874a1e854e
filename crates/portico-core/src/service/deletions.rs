//! The durable queue of IdP client deletions: what could not be deleted at once is kept in
//! the store and retried with exponential backoff until the IdP confirms it.

use super::Portico;
use crate::error::CoreResult;
use crate::id::{DcrProviderId, PendingDeletionId};
use crate::model::PendingIdpDeletion;
use crate::ports::StoreError;

/// The longest wait between two attempts, in seconds.
pub const DELETION_BACKOFF_CAP_SECS: i64 = 300;

impl Portico {
    /// Queues the deletion of a client that must not outlive the failed operation that made it.
    pub(crate) async fn queue_idp_deletion(
        &self,
        dcr_provider_id: DcrProviderId,
        client_id: &str,
        reason: &str,
    ) {
        let now = self.now();
        let deletion = PendingIdpDeletion {
            id: PendingDeletionId::new(),
            dcr_provider_id,
            client_id: client_id.to_owned(),
            attempts: 1,
            next_attempt_at: now + backoff(1),
            last_error: Some(reason.to_owned()),
            created_at: now,
        };
        if let Err(error) = self.store.enqueue_idp_deletion(&deletion).await {
            // Nothing more can be done here; the log is the last record of the orphan.
            tracing::error!(%error, client_id, %dcr_provider_id, "could not queue the deletion of an IdP client: it may be orphaned");
        } else {
            tracing::warn!(client_id, %dcr_provider_id, "IdP client deletion queued for retry");
        }
    }

    /// Tries one queued deletion: removes it from the queue on success, or records the failure
    /// and the time of the next attempt.
    pub(crate) async fn attempt_idp_deletion(&self, mut deletion: PendingIdpDeletion) -> bool {
        let provider = match self.store.dcr_provider(deletion.dcr_provider_id).await {
            Ok(provider) => provider,
            Err(StoreError::NotFound) => {
                // The provider is gone, so there is nothing left to call; keep no dead rows.
                tracing::warn!(client_id = %deletion.client_id, "dropping a queued deletion whose DCR provider no longer exists");
                let _ = self.store.remove_idp_deletion(deletion.id).await;
                return true;
            }
            Err(error) => {
                tracing::warn!(%error, "could not load the DCR provider of a queued deletion");
                return false;
            }
        };
        let outcome = match self.dcr_client(&provider) {
            Ok(client) => client
                .delete_client(&deletion.client_id)
                .await
                .map_err(|error| error.to_string()),
            Err(error) => Err(error.to_string()),
        };
        match outcome {
            Ok(()) => {
                if let Err(error) = self.store.remove_idp_deletion(deletion.id).await {
                    tracing::warn!(%error, "a deleted IdP client stays queued; the next attempt will find it gone");
                }
                tracing::info!(client_id = %deletion.client_id, "IdP client deleted");
                true
            }
            Err(reason) => {
                deletion.attempts += 1;
                deletion.next_attempt_at = self.now() + backoff(deletion.attempts);
                deletion.last_error = Some(reason.clone());
                tracing::warn!(client_id = %deletion.client_id, attempts = deletion.attempts, %reason, "IdP client deletion failed; will retry");
                if let Err(error) = self.store.update_idp_deletion(&deletion).await {
                    tracing::error!(%error, "could not record a failed deletion attempt");
                }
                false
            }
        }
    }

    /// Runs the deletions that are due; returns how many succeeded. The binary calls this
    /// periodically.
    pub async fn process_due_idp_deletions(&self) -> CoreResult<usize> {
        let due = self.store.due_idp_deletions(self.now(), 50).await?;
        let mut succeeded = 0;
        for deletion in due {
            if self.attempt_idp_deletion(deletion).await {
                succeeded += 1;
            }
        }
        Ok(succeeded)
    }

    pub async fn pending_idp_deletions(&self) -> CoreResult<Vec<PendingIdpDeletion>> {
        Ok(self.store.idp_deletions().await?)
    }
}

/// 2, 4, 8 … seconds after the n-th failed attempt, capped.
fn backoff(attempts: u32) -> time::Duration {
    let seconds = 1i64
        .checked_shl(attempts.min(20))
        .unwrap_or(i64::MAX)
        .min(DELETION_BACKOFF_CAP_SECS);
    time::Duration::seconds(seconds)
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff(1).whole_seconds(), 2);
        assert_eq!(backoff(2).whole_seconds(), 4);
        assert_eq!(
            backoff(30).whole_seconds(),
            super::DELETION_BACKOFF_CAP_SECS
        );
    }
}
