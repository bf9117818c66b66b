//! AWS-backed services (feature `aws`): the DynamoDB ledger, S3 snapshots and the Secrets
//! Manager secret. Endpoints come from the SDK's own configuration (`AWS_ENDPOINT_URL`, or a
//! per-service variable), so the same code runs against a local moto server in tests.
//!
//! DynamoDB table layout (agreed with the Terraform module): partition key `documentId` (S),
//! sort key `target` (S); attributes `state`, `remoteId`, `url`, `contentHash`, `revision`,
//! `sourceUpdatedAt`, `updatedAt` (S) and `version` (N).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use tokio::sync::Mutex;

use crate::article::{SnapshotKey, Target};
use crate::config::AwsResources;
use crate::error::TaskError;
use crate::http::{sha256_hex, Transport};
use crate::ledger::{
    conflict_changed, conflict_exists, EntryState, Ledger, LedgerEntry, LedgerError,
};
use crate::secrets::{SecretProvider, Secrets};
use crate::services::Services;
use crate::snapshot::{validate_key, SnapshotError, SnapshotStore};

/// Logging of a Lambda, as Lambda's advanced logging controls configure it: the level from
/// `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG` (a plain level such as `debug`), else `INFO`; JSON
/// lines when `AWS_LAMBDA_LOG_FORMAT` is `JSON`, text otherwise; no timestamps (CloudWatch adds
/// them). A plain level instead of an env-filter keeps a regex engine out of the binaries.
pub fn init_logging() {
    let level = ["AWS_LAMBDA_LOG_LEVEL", "RUST_LOG"]
        .iter()
        .find_map(|name| std::env::var(name).ok())
        .and_then(|v| v.trim().parse::<tracing::level_filters::LevelFilter>().ok())
        .unwrap_or(tracing::level_filters::LevelFilter::INFO);
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_ansi(false)
        .with_max_level(level);
    // `try_init`: a second call (tests) keeps the first subscriber.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Loads the SDK configuration once (region, credentials, endpoint overrides from the
/// environment).
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}

/// The Lambda's services: DynamoDB ledger, S3 snapshots, cached Secrets Manager secret.
pub fn services(
    sdk: &aws_config::SdkConfig,
    resources: &AwsResources,
    transport: Arc<dyn Transport>,
) -> Services {
    Services {
        transport,
        ledger: Arc::new(DynamoLedger::new(
            aws_sdk_dynamodb::Client::new(sdk),
            resources.ledger_table.clone(),
        )),
        snapshots: Arc::new(S3SnapshotStore::new(
            s3_client(sdk),
            resources.snapshot_bucket.clone(),
        )),
        secrets: Arc::new(SecretsManagerProvider::new(
            aws_sdk_secretsmanager::Client::new(sdk),
            resources.secret_arn.clone(),
        )),
    }
}

/// An S3 client; path-style addressing when an endpoint override is configured (local
/// S3-compatible servers do not resolve bucket subdomains).
pub fn s3_client(sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let mut b = aws_sdk_s3::config::Builder::from(sdk);
    if sdk.endpoint_url().is_some() {
        b = b.force_path_style(true);
    }
    aws_sdk_s3::Client::from_conf(b.build())
}

fn context<E: std::error::Error>(e: &E) -> String {
    aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string()
}

// ---------------------------------------------------------------------------------------------
// DynamoDB ledger
// ---------------------------------------------------------------------------------------------

/// The ledger in DynamoDB, with conditional writes.
#[derive(Debug, Clone)]
pub struct DynamoLedger {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl DynamoLedger {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        DynamoLedger {
            client,
            table: table.into(),
        }
    }

    fn key(document_id: &str, target: Target) -> HashMap<String, AttributeValue> {
        HashMap::from([
            (
                "documentId".to_string(),
                AttributeValue::S(document_id.to_string()),
            ),
            (
                "target".to_string(),
                AttributeValue::S(target.as_str().to_string()),
            ),
        ])
    }
}

fn to_item(e: &LedgerEntry) -> HashMap<String, AttributeValue> {
    let mut item = DynamoLedger::key(&e.document_id, e.target);
    let s = |v: &str| AttributeValue::S(v.to_string());
    item.insert("state".into(), s(e.state.as_str()));
    item.insert("revision".into(), s(&e.revision));
    item.insert("version".into(), AttributeValue::N(e.version.to_string()));
    item.insert("updatedAt".into(), s(&e.updated_at));
    for (name, value) in [
        ("remoteId", &e.remote_id),
        ("url", &e.url),
        ("contentHash", &e.content_hash),
        ("sourceUpdatedAt", &e.source_updated_at),
    ] {
        if let Some(v) = value {
            item.insert(name.into(), s(v));
        }
    }
    item
}

fn from_item(item: &HashMap<String, AttributeValue>) -> Result<LedgerEntry, LedgerError> {
    let text =
        |name: &str| -> Option<String> { item.get(name).and_then(|v| v.as_s().ok()).cloned() };
    let need = |name: &str| {
        text(name).ok_or_else(|| LedgerError::Corrupt(format!("item has no string `{name}`")))
    };
    let target_name = need("target")?;
    let target = target_name
        .parse::<Target>()
        .map_err(LedgerError::Corrupt)?;
    let state_name = need("state")?;
    let state = EntryState::parse(&state_name)
        .ok_or_else(|| LedgerError::Corrupt(format!("unknown state `{state_name}`")))?;
    let version = item
        .get("version")
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or_else(|| LedgerError::Corrupt("item has no numeric `version`".into()))?;
    Ok(LedgerEntry {
        document_id: need("documentId")?,
        target,
        state,
        remote_id: text("remoteId"),
        url: text("url"),
        content_hash: text("contentHash"),
        revision: need("revision")?,
        source_updated_at: text("sourceUpdatedAt"),
        version,
        updated_at: need("updatedAt")?,
    })
}

#[async_trait]
impl Ledger for DynamoLedger {
    async fn get(
        &self,
        document_id: &str,
        target: Target,
    ) -> Result<Option<LedgerEntry>, LedgerError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(document_id, target)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| LedgerError::Storage(context(&e)))?;
        out.item().map(from_item).transpose()
    }

    async fn create(&self, entry: &LedgerEntry) -> Result<(), LedgerError> {
        let res = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(entry)))
            .condition_expression("attribute_not_exists(documentId)")
            .send()
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Err(conflict_exists(&entry.document_id, entry.target))
            }
            Err(e) => Err(LedgerError::Storage(context(&e))),
        }
    }

    async fn replace(&self, entry: &LedgerEntry, expected_version: u64) -> Result<(), LedgerError> {
        let res = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(entry)))
            .condition_expression("#v = :expected")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(
                ":expected",
                AttributeValue::N(expected_version.to_string()),
            )
            .send()
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Err(conflict_changed(&entry.document_id, entry.target))
            }
            Err(e) => Err(LedgerError::Storage(context(&e))),
        }
    }

    async fn delete(
        &self,
        document_id: &str,
        target: Target,
        expected_version: u64,
    ) -> Result<(), LedgerError> {
        let res = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(document_id, target)))
            .condition_expression("#v = :expected")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(
                ":expected",
                AttributeValue::N(expected_version.to_string()),
            )
            .send()
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Err(conflict_changed(document_id, target))
            }
            Err(e) => Err(LedgerError::Storage(context(&e))),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// S3 snapshots
// ---------------------------------------------------------------------------------------------

/// Snapshots as S3 objects in one bucket.
#[derive(Debug, Clone)]
pub struct S3SnapshotStore {
    client: aws_sdk_s3::Client,
    bucket: String,
}

impl S3SnapshotStore {
    pub fn new(client: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        S3SnapshotStore {
            client,
            bucket: bucket.into(),
        }
    }
}

#[async_trait]
impl SnapshotStore for S3SnapshotStore {
    async fn put(&self, key: &str, bytes: &[u8]) -> Result<SnapshotKey, SnapshotError> {
        validate_key(key)?;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type("application/json")
            .body(aws_sdk_s3::primitives::ByteStream::from(bytes.to_vec()))
            .send()
            .await
            .map_err(|e| SnapshotError::Storage(context(&e)))?;
        Ok(SnapshotKey {
            key: key.to_string(),
            sha256: sha256_hex(bytes),
        })
    }

    async fn get_raw(&self, key: &str) -> Result<Vec<u8>, SnapshotError> {
        validate_key(key)?;
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| {
                if e.as_service_error().is_some_and(|s| s.is_no_such_key()) {
                    SnapshotError::NotFound(key.to_string())
                } else {
                    SnapshotError::Storage(context(&e))
                }
            })?;
        let data = out
            .body
            .collect()
            .await
            .map_err(|e| SnapshotError::Storage(format!("reading `{key}`: {e}")))?;
        Ok(data.into_bytes().to_vec())
    }
}

// ---------------------------------------------------------------------------------------------
// Secrets Manager
// ---------------------------------------------------------------------------------------------

/// How long a container keeps the secret before reading it again (so a rotated token is
/// picked up without a redeploy).
pub const SECRET_TTL: Duration = Duration::from_secs(300);

/// The secret from Secrets Manager, fetched on first use and cached per container.
#[derive(Debug)]
pub struct SecretsManagerProvider {
    client: aws_sdk_secretsmanager::Client,
    secret_id: String,
    ttl: Duration,
    cache: Mutex<Option<(Instant, Arc<Secrets>)>>,
}

impl SecretsManagerProvider {
    pub fn new(client: aws_sdk_secretsmanager::Client, secret_id: impl Into<String>) -> Self {
        SecretsManagerProvider {
            client,
            secret_id: secret_id.into(),
            ttl: SECRET_TTL,
            cache: Mutex::new(None),
        }
    }

    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }
}

#[async_trait]
impl SecretProvider for SecretsManagerProvider {
    async fn secrets(&self) -> Result<Arc<Secrets>, TaskError> {
        let mut cache = self.cache.lock().await;
        if let Some((at, s)) = cache.as_ref() {
            if at.elapsed() < self.ttl {
                return Ok(s.clone());
            }
        }
        let out = self
            .client
            .get_secret_value()
            .secret_id(&self.secret_id)
            .send()
            .await
            .map_err(|e| {
                let not_found = e
                    .as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception());
                if not_found {
                    TaskError::Misconfigured(format!("secret {} does not exist", self.secret_id))
                } else {
                    TaskError::Internal(format!(
                        "cannot read secret {}: {}",
                        self.secret_id,
                        context(&e)
                    ))
                }
            })?;
        let text = out.secret_string().ok_or_else(|| {
            TaskError::Misconfigured(format!("secret {} has no string value", self.secret_id))
        })?;
        let secrets = Arc::new(Secrets::from_json(text)?);
        *cache = Some((Instant::now(), secrets.clone()));
        Ok(secrets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_round_trip() {
        let e = LedgerEntry {
            document_id: "post-1".into(),
            target: Target::Hashnode,
            state: EntryState::Published,
            remote_id: Some("abc".into()),
            url: None,
            content_hash: Some("00ff".into()),
            revision: "r1".into(),
            source_updated_at: None,
            version: 3,
            updated_at: "2026-01-01T00:00:00Z".into(),
        };
        let item = to_item(&e);
        assert_eq!(
            item.get("target"),
            Some(&AttributeValue::S("hashnode".into()))
        );
        assert_eq!(item.get("version"), Some(&AttributeValue::N("3".into())));
        assert!(!item.contains_key("url"));
        assert_eq!(from_item(&item).unwrap(), e);
    }
}
