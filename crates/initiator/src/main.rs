//! The initiator Lambda (API Gateway HTTP API, payload format 2.0): wiring only.

use std::sync::Arc;

use crosspost_core::aws::{S3SnapshotStore, SecretsManagerProvider};
use crosspost_core::config::{process_env, required};
use crosspost_core::SecretProvider;
use initiator::config::vars;
use initiator::sanity::SanityClient;
use initiator::starter::SfnStarter;
use initiator::{Config, Initiator};
use lambda_http::{service_fn, Error, Request};

#[tokio::main]
async fn main() -> Result<(), Error> {
    crosspost_core::aws::init_logging();

    let config = Config::from_lookup(&process_env, true)?;
    let state_machine_arn = required(&process_env, vars::STATE_MACHINE_ARN)?;
    let bucket = required(&process_env, crosspost_core::config::vars::SNAPSHOT_BUCKET)?;
    let secret_arn = required(&process_env, crosspost_core::config::vars::SECRET_ARN)?;

    let sdk = crosspost_core::aws::sdk_config().await;
    let secrets =
        SecretsManagerProvider::new(aws_sdk_secretsmanager::Client::new(&sdk), secret_arn)
            .secrets()
            .await?;
    let webhook_secret = secrets.sanity_webhook_secret.clone();
    if webhook_secret.is_none() {
        tracing::error!("the secret has no sanity_webhook_secret: every delivery will get 401");
    }
    let sanity = match (&config.sanity_project_id, &config.sanity_dataset) {
        (Some(p), Some(d)) => Some(SanityClient::new(
            p,
            d,
            &config.sanity_api_version,
            config.sanity_api_url.as_deref(),
            secrets.sanity_token.clone(),
        )?),
        _ => None,
    };
    let initiator = Arc::new(Initiator::new(
        config,
        webhook_secret,
        sanity,
        Arc::new(S3SnapshotStore::new(
            crosspost_core::aws::s3_client(&sdk),
            bucket,
        )),
        Arc::new(SfnStarter::new(
            aws_sdk_sfn::Client::new(&sdk),
            state_machine_arn,
        )),
    ));

    lambda_http::run(service_fn(move |req: Request| {
        let initiator = Arc::clone(&initiator);
        async move {
            let now_ms = chrono::Utc::now().timestamp_millis();
            initiator::lambda::handle_request(&initiator, req, now_ms)
                .await
                .map_err(Error::from)
        }
    }))
    .await
}
