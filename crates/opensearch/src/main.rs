//! The opensearch Lambda: builds everything once at cold start, then hands each Step Functions
//! task to `opensearch::handle`.

use std::sync::Arc;

use crosspost_core::config::{process_env, AwsResources};
use crosspost_core::{ExecutionInput, ReqwestTransport, Timeouts};
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    crosspost_core::aws::init_logging();
    let config = opensearch::Config::from_lookup(&process_env)?;
    config.require_endpoint()?;
    let resources = AwsResources::from_lookup(&process_env)?;
    let sdk = crosspost_core::aws::sdk_config().await;
    let transport = Arc::new(ReqwestTransport::new(Timeouts::default())?);
    let mut deps = opensearch::Deps::new(
        crosspost_core::aws::services(&sdk, &resources, transport),
        config,
    );
    if let Some(service) = deps.config.auth.service() {
        let signer = opensearch::sigv4::SigV4Signer::from_sdk(&sdk, service)?;
        deps = deps.with_signer(Arc::new(signer));
    }
    let deps = &deps;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ExecutionInput>| async move {
            opensearch::handle(event.payload, deps).await
        },
    ))
    .await
}
