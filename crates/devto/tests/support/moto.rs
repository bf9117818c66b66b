//! The moto server (from `testkit`) and an SDK configuration pointed at it.

#[allow(unused_imports)] // each test binary uses its own subset
pub use testkit::{moto as start, unique};

pub async fn sdk(endpoint: &str) -> aws_config::SdkConfig {
    use aws_sdk_dynamodb::config::{Credentials, Region};
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
        .load()
        .await
}
