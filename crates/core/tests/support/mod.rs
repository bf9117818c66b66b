#![allow(dead_code)]
pub mod ledger_cases;
