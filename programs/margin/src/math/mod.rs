//! Pure fixed-point math: integers with named precisions in, integers out. No Solana types, no
//! clock reads. Every rounding goes against the account being checked (values down, requirements
//! and fees up). The orchestrator's TypeScript risk engine mirrors these files name for name.

pub mod checked;
pub mod constants;
pub mod liquidation;
pub mod margin;
pub mod oracle_price;
pub mod position;
pub mod volatility;

#[cfg(test)]
mod vectors;

pub use checked::MathError;
pub use constants::*;
