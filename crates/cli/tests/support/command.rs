//! `crosspost` as a child process, free of the developer's own settings.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

/// Settings a developer may have exported for real use; a test sets what it needs itself.
pub const OWN_SETTINGS: [&str; 8] = [
    "DEVTO_API_KEY",
    "HASHNODE_TOKEN",
    "MEDIUM_TOKEN",
    "HASHNODE_PUBLICATION_ID",
    "OPENSEARCH_ENDPOINT",
    "CROSSPOST_TARGETS",
    "CROSSPOST_SITE_URL",
    "RUST_LOG",
];

/// `crosspost` run in `dir`, without [`OWN_SETTINGS`], and with the Sanity query API pointed at
/// a closed port (tests never reach a real one).
pub fn crosspost(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_crosspost"));
    cmd.current_dir(dir)
        .env("SANITY_API_URL", "http://127.0.0.1:9");
    for var in OWN_SETTINGS {
        cmd.env_remove(var);
    }
    cmd
}
