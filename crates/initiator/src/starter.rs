//! Starting an execution: Step Functions in AWS, the in-process executor locally.

use async_trait::async_trait;

/// A started (or already started) execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    /// The execution ARN (or the local execution's name).
    pub execution_arn: String,
    /// The name was already taken: a redelivery of a webhook that was already handled.
    pub duplicate: bool,
}

/// Why an execution could not be started. Maps to HTTP 500, so Sanity retries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("could not start the execution: {0}")]
pub struct StartError(pub String);

/// Starts an execution of the crosspost state machine.
#[async_trait]
pub trait ExecutionStarter: Send + Sync {
    /// Starts `name` with `input` (the exact bytes to send). A name that already exists is a
    /// duplicate delivery: report it with `duplicate: true`, not as an error.
    async fn start(&self, name: &str, input: &str) -> Result<Started, StartError>;
}

/// The execution ARN Step Functions gives `name` on `state_machine_arn`.
pub fn execution_arn(state_machine_arn: &str, name: &str) -> String {
    format!(
        "{}:{name}",
        state_machine_arn.replacen(":stateMachine:", ":execution:", 1)
    )
}

#[cfg(feature = "aws")]
pub use sfn::SfnStarter;

#[cfg(feature = "aws")]
mod sfn {
    use super::*;
    use aws_sdk_sfn::operation::start_execution::StartExecutionError;

    /// Step Functions `StartExecution` (standard workflow).
    #[derive(Debug, Clone)]
    pub struct SfnStarter {
        client: aws_sdk_sfn::Client,
        state_machine_arn: String,
    }

    impl SfnStarter {
        pub fn new(client: aws_sdk_sfn::Client, state_machine_arn: impl Into<String>) -> Self {
            SfnStarter {
                client,
                state_machine_arn: state_machine_arn.into(),
            }
        }
    }

    #[async_trait]
    impl ExecutionStarter for SfnStarter {
        async fn start(&self, name: &str, input: &str) -> Result<Started, StartError> {
            let result = self
                .client
                .start_execution()
                .state_machine_arn(&self.state_machine_arn)
                .name(name)
                .input(input)
                .send()
                .await;
            match result {
                Ok(out) => Ok(Started {
                    execution_arn: out.execution_arn().to_string(),
                    duplicate: false,
                }),
                Err(e) => match e.as_service_error() {
                    // Same name, and either a different input or a closed execution: the
                    // delivery was handled before (redelivery after completion).
                    Some(StartExecutionError::ExecutionAlreadyExists(_)) => Ok(Started {
                        execution_arn: execution_arn(&self.state_machine_arn, name),
                        duplicate: true,
                    }),
                    _ => Err(StartError(
                        aws_sdk_sfn::error::DisplayErrorContext(&e).to_string(),
                    )),
                },
            }
        }
    }
}
