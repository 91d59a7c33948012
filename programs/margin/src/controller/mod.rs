//! Core state changes on plain structs: no accounts, the clock passed in. Instruction handlers
//! load accounts, call these, and write the results back.

pub mod bankruptcy;
pub mod fill;
pub mod health;
pub mod liquidation;
pub mod oracle_guard;
pub mod params;
pub mod pool;
pub mod trade;
pub mod volatility;
