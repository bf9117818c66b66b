//! Placeholder: being written.

use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {}

pub fn main(_args: Args) -> ExitCode {
    eprintln!("crosspost: this command is not built yet");
    ExitCode::FAILURE
}
