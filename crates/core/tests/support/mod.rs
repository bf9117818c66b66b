#![allow(dead_code)]
pub mod ledger_cases;
pub mod snapshot_cases;
