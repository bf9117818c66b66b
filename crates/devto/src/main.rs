//! The devto Lambda: builds everything once at cold start, then hands each Step Functions
//! task to `devto::handle`.

use std::sync::Arc;

use crosspost_core::config::{process_env, AwsResources};
use crosspost_core::{ExecutionInput, ReqwestTransport, Timeouts};
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    crosspost_core::aws::init_logging();
    let config = devto::Config::from_lookup(&process_env)?;
    let resources = AwsResources::from_lookup(&process_env)?;
    let sdk = crosspost_core::aws::sdk_config().await;
    let transport = Arc::new(ReqwestTransport::new(Timeouts::default())?);
    let deps = devto::Deps::new(
        crosspost_core::aws::services(&sdk, &resources, transport),
        config,
    );
    let deps = &deps;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ExecutionInput>| async move {
            devto::handle(event.payload, deps).await
        },
    ))
    .await
}
