//! AWS paths against a moto server: the DynamoDB ledger (conditional writes), S3 snapshots and
//! the Secrets Manager secret. Run with `cargo test -p crosspost-core --features aws --test
//! aws_moto`.
//!
//! The server comes from `AWS_ENDPOINT_URL` when it is set (the project's test command starts
//! one); otherwise each test starts `.venv/bin/moto_server` on a free loopback port (install it
//! with `python3 -m venv .venv && .venv/bin/pip install -r requirements-test.txt`).
#![cfg(feature = "aws")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::config::{Credentials, Region};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use crosspost_core::aws::{s3_client, DynamoLedger, S3SnapshotStore, SecretsManagerProvider};
use crosspost_core::secrets::SecretProvider;
use support::{ledger_cases as cases, snapshot_cases};

use testkit::{moto, unique};

async fn sdk(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
        .load()
        .await
}

#[tokio::test]
async fn dynamodb_ledger_conditional_writes() {
    let m = moto();
    let conf = sdk(&m.endpoint).await;
    let client = aws_sdk_dynamodb::Client::new(&conf);
    let table = unique("crosspost-ledger");
    client
        .create_table()
        .table_name(&table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("documentId")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("target")
                .key_type(KeyType::Range)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("documentId")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("target")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let ledger = DynamoLedger::new(client.clone(), &table);
    cases::conditional_writes(&ledger, "d1").await;
    cases::publish_lifecycle(&ledger, "d2").await;
    cases::claims(&ledger, "d3").await;
    cases::concurrent_creates(Arc::new(ledger.clone()), "d4").await;

    // A missing table is a storage failure (Internal), not a conflict.
    let missing = DynamoLedger::new(client, unique("no-such-table"));
    let err = crosspost_core::Ledger::get(&missing, "x", crosspost_core::Target::Devto).await;
    assert!(
        matches!(err, Err(crosspost_core::LedgerError::Storage(_))),
        "{err:?}"
    );
}

#[tokio::test]
async fn s3_snapshots_verify_sha256() {
    let m = moto();
    let conf = sdk(&m.endpoint).await;
    let client = s3_client(&conf);
    let bucket = unique("crosspost-snapshots");
    client.create_bucket().bucket(&bucket).send().await.unwrap();
    let store = S3SnapshotStore::new(client.clone(), &bucket);
    snapshot_cases::check_store(&store, |key, bytes| {
        let client = client.clone();
        let bucket = bucket.clone();
        async move {
            client
                .put_object()
                .bucket(bucket)
                .key(key)
                .body(aws_sdk_s3::primitives::ByteStream::from(bytes))
                .send()
                .await
                .unwrap();
        }
    })
    .await;
}

#[tokio::test]
async fn secrets_manager_secret_is_parsed_and_cached() {
    let m = moto();
    let conf = sdk(&m.endpoint).await;
    let client = aws_sdk_secretsmanager::Client::new(&conf);
    let name = unique("crosspost-secret");
    let created = client
        .create_secret()
        .name(&name)
        .secret_string(r#"{"devto_api_key":"dev-1","hashnode_token":"","medium_token":"m-1"}"#)
        .send()
        .await
        .unwrap();
    let arn = created.arn().unwrap().to_string();

    let cached = SecretsManagerProvider::new(client.clone(), &arn);
    let s = cached.secrets().await.unwrap();
    assert_eq!(s.devto_api_key.as_deref(), Some("dev-1"));
    assert_eq!(s.hashnode_token, None, "blank means unset");
    assert_eq!(s.medium_token.as_deref(), Some("m-1"));

    client
        .put_secret_value()
        .secret_id(&arn)
        .secret_string(r#"{"devto_api_key":"dev-2"}"#)
        .send()
        .await
        .unwrap();
    // Within the TTL the container keeps its copy ...
    assert_eq!(
        cached.secrets().await.unwrap().devto_api_key.as_deref(),
        Some("dev-1")
    );
    // ... and picks up a rotated value once it expires.
    let fresh = SecretsManagerProvider::new(client.clone(), &arn).with_ttl(Duration::ZERO);
    assert_eq!(
        fresh.secrets().await.unwrap().devto_api_key.as_deref(),
        Some("dev-2")
    );

    let missing = SecretsManagerProvider::new(client.clone(), unique("no-such-secret"));
    assert_eq!(missing.secrets().await.unwrap_err().name(), "Misconfigured");

    let broken = unique("crosspost-broken");
    client
        .create_secret()
        .name(&broken)
        .secret_string("not json")
        .send()
        .await
        .unwrap();
    let err = SecretsManagerProvider::new(client, &broken)
        .secrets()
        .await
        .unwrap_err();
    assert_eq!(err.name(), "Misconfigured");
    assert!(!err.to_string().contains("not json"));
}
