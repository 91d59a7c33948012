use anchor_lang::prelude::*;

/// Error codes are a public contract: clients match on the number (6000 + position).
/// Append new variants at the end; never reorder or remove one.
#[error_code]
pub enum MarginError {
    #[msg("Amount must be greater than zero")]
    ZeroAmount, // 6000
    #[msg("Withdrawal exceeds the account's free collateral")]
    InsufficientCollateral, // 6001
    #[msg("Arithmetic overflow")]
    MathOverflow, // 6002
    #[msg("Token account mint does not match the exchange's quote mint")]
    WrongQuoteMint, // 6003
    #[msg("Margin account does not belong to this exchange")]
    WrongExchange, // 6004
}
