//! The devto handler wired as in the Lambda (`crosspost_core::aws::services`): the article
//! comes from an S3 snapshot, the API key from Secrets Manager, the ledger is DynamoDB (moto),
//! and Dev.to is a wiremock stand-in.
#![cfg(feature = "lambda")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use crosspost_core::config::AwsResources;
use crosspost_core::snapshot::snapshot_key;
use crosspost_core::{
    ArticleRef, ExecutionInput, Operation, Outcome, ReqwestTransport, Target, TargetPlan, Timeouts,
};
use serde_json::json;
use support::moto;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn lambda_wiring_snapshot_secret_and_dynamodb_ledger() {
    let m = moto::start();
    let conf = moto::sdk(&m.endpoint).await;
    let resources = AwsResources {
        secret_arn: moto::unique("crosspost-secret"),
        ledger_table: moto::unique("crosspost-ledger"),
        snapshot_bucket: moto::unique("crosspost-snapshots"),
    };
    let ddb = aws_sdk_dynamodb::Client::new(&conf);
    let key = |name: &str, t: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(t)
            .build()
            .unwrap()
    };
    let attr = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .unwrap()
    };
    ddb.create_table()
        .table_name(&resources.ledger_table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("documentId", KeyType::Hash))
        .key_schema(key("target", KeyType::Range))
        .attribute_definitions(attr("documentId"))
        .attribute_definitions(attr("target"))
        .send()
        .await
        .unwrap();
    let s3 = crosspost_core::aws::s3_client(&conf);
    s3.create_bucket()
        .bucket(&resources.snapshot_bucket)
        .send()
        .await
        .unwrap();
    aws_sdk_secretsmanager::Client::new(&conf)
        .create_secret()
        .name(&resources.secret_arn)
        .secret_string(r#"{"devto_api_key":"key-from-secrets-manager"}"#)
        .send()
        .await
        .unwrap();

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/articles/me/all"))
        .and(header("api-key", "key-from-secrets-manager"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/articles"))
        .and(header("api-key", "key-from-secrets-manager"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({"id": 7, "url": "https://dev.to/me/big-7"})),
        )
        .expect(1)
        .mount(&server)
        .await;

    let transport = Arc::new(ReqwestTransport::new(Timeouts::default()).unwrap());
    let services = crosspost_core::aws::services(&conf, &resources, transport);
    let deps = devto::Deps::new(
        services.clone(),
        devto::Config {
            base_url: server.uri(),
            ..devto::Config::default()
        },
    );

    // A 1 MB article (verbose Portable Text, modest Markdown) travels as a claim check.
    let blocks: Vec<serde_json::Value> = (0..8_000)
        .map(|i| json!({"_type": "block", "_key": format!("k{i}"), "style": "normal", "markDefs": [],
                        "children": [{"_type": "span", "_key": format!("s{i}"), "text": "word ".repeat(8), "marks": []}]}))
        .collect();
    let article = json!({
        "id": "post-big", "revision": "r1", "slug": "big", "title": "Big",
        "body": blocks,
        "canonicalUrl": "https://blog.example.com/posts/big"
    });
    let bytes = serde_json::to_vec(&article).unwrap();
    assert!(bytes.len() > 1_000_000, "{}", bytes.len());
    let snapshot = services
        .snapshots
        .put(&snapshot_key("post-big", "r1"), &bytes)
        .await
        .unwrap();
    let event = ExecutionInput {
        operation: Operation::Publish,
        document_id: "post-big".into(),
        slug: "big".into(),
        article: ArticleRef::Snapshot { snapshot },
        publish_at: None,
        targets: [(
            Target::Devto,
            TargetPlan {
                enabled: true,
                reason: None,
            },
        )]
        .into(),
    };
    assert!(
        serde_json::to_vec(&event).unwrap().len() < 1024,
        "the execution input stays small"
    );

    let r = devto::handle(event.clone(), &deps).await.unwrap();
    assert_eq!(
        (r.status, r.remote_id.as_deref()),
        (Outcome::Created, Some("7"))
    );
    let r = devto::handle(event, &deps).await.unwrap();
    assert_eq!(r.status, Outcome::Unchanged);

    let item = ddb
        .get_item()
        .table_name(&resources.ledger_table)
        .key(
            "documentId",
            aws_sdk_dynamodb::types::AttributeValue::S("post-big".into()),
        )
        .key(
            "target",
            aws_sdk_dynamodb::types::AttributeValue::S("devto".into()),
        )
        .send()
        .await
        .unwrap();
    let item = item.item().unwrap();
    assert_eq!(item["remoteId"].as_s().unwrap(), "7");
    assert_eq!(item["state"].as_s().unwrap(), "published");
}
