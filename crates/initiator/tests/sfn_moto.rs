//! `SfnStarter` against a local moto server: StartExecution, and a repeated name.
//!
//! The endpoint is `AWS_ENDPOINT_URL` (the test command starts moto and exports it); when it
//! is unset, this test starts `.venv/bin/moto_server` itself on a free port, and fails with a
//! clear message if that is not installed.
#![cfg(feature = "aws")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aws_sdk_sfn::config::{BehaviorVersion, Credentials, Region};
use initiator::starter::{execution_arn, SfnStarter};
use initiator::ExecutionStarter;

use testkit::moto;

fn client(endpoint: &str) -> aws_sdk_sfn::Client {
    let conf = aws_sdk_sfn::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .endpoint_url(endpoint)
        .build();
    aws_sdk_sfn::Client::from_conf(conf)
}

#[tokio::test]
async fn start_and_duplicate() {
    let moto = moto();
    let sfn = client(&moto.endpoint);
    let definition = r#"{"StartAt":"Done","States":{"Done":{"Type":"Succeed"}}}"#;
    let sm_name = format!("crosspost-{}", std::process::id());
    let sm = sfn
        .create_state_machine()
        .name(&sm_name)
        .definition(definition)
        .role_arn("arn:aws:iam::123456789012:role/crosspost-sfn")
        .send()
        .await
        .unwrap();
    let sm_arn = sm.state_machine_arn().to_string();
    let starter = SfnStarter::new(sfn.clone(), &sm_arn);

    let name = "pub-post-1-8f71f8cb56ba-r1";
    let input = r#"{"operation":"publish","documentId":"post-1"}"#;
    let first = starter.start(name, input).await.unwrap();
    assert!(!first.duplicate);
    assert_eq!(first.execution_arn, execution_arn(&sm_arn, name));

    // A redelivery: same name, same input → the same execution, never a second one.
    let again = starter.start(name, input).await.unwrap();
    assert_eq!(again.execution_arn, first.execution_arn);
    // Same name, different input (or a closed execution) → ExecutionAlreadyExists → duplicate.
    let other = starter
        .start(
            name,
            r#"{"operation":"publish","documentId":"post-1","x":1}"#,
        )
        .await
        .unwrap();
    assert!(other.duplicate);
    assert_eq!(other.execution_arn, first.execution_arn);

    let listed = sfn
        .list_executions()
        .state_machine_arn(&sm_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.executions().len(), 1);

    // Any other failure is an error, not a duplicate.
    let missing = SfnStarter::new(
        sfn,
        "arn:aws:states:us-east-1:123456789012:stateMachine:does-not-exist",
    );
    assert!(missing.start("n1", "{}").await.is_err());
}
