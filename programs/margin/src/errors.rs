use anchor_lang::prelude::*;

/// Error codes are a public contract: clients match on the number (6000 + position).
/// Append new variants at the end; never reorder or remove one.
#[error_code]
#[derive(PartialEq, Eq)]
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
    #[msg("Only the exchange admin may do this")]
    Unauthorized, // 6005
    #[msg("Market parameters are invalid")]
    InvalidMarketParams, // 6006
    #[msg("Oracle account is not the market's oracle")]
    WrongOracleAccount, // 6007
    #[msg("Oracle account is not owned by the market's oracle program")]
    WrongOracleOwner, // 6008
    #[msg("Oracle price is for another feed")]
    WrongOracleFeed, // 6009
    #[msg("Oracle account data is not a price in the market's layout")]
    InvalidOracleAccount, // 6010
    #[msg("Oracle update is not fully verified")]
    OracleNotFullyVerified, // 6011
    #[msg("Oracle price is not trading")]
    OracleNotTrading, // 6012
    #[msg("Oracle price is not positive")]
    InvalidOraclePrice, // 6013
    #[msg("Oracle price is older than the market allows for this action")]
    StaleOracle, // 6014
    #[msg("Oracle confidence interval is wider than the market allows for this action")]
    OracleTooUncertain, // 6015
    #[msg("Exchange or market is paused")]
    Paused, // 6016
    #[msg("Account would fall below its initial margin requirement")]
    InsufficientMargin, // 6017
    #[msg("Execution price is past the limit price")]
    LimitPriceExceeded, // 6018
    #[msg("Open interest cap reached")]
    OpenInterestCap, // 6019
    #[msg("Account has no free position slot")]
    TooManyPositions, // 6020
    #[msg("Account has no position in this market")]
    NoPosition, // 6021
    #[msg("Account is not below its maintenance requirement")]
    AccountHealthy, // 6022
    #[msg("Account is already being liquidated")]
    AlreadyBeingLiquidated, // 6023
    #[msg("Account is being liquidated or bankrupt")]
    AccountInLiquidation, // 6024
    #[msg("Account is not bankrupt")]
    NotBankrupt, // 6025
    #[msg("Remaining accounts must be the market and oracle of every other open position")]
    MissingPositionAccounts, // 6026
    #[msg("Market does not belong to this exchange")]
    WrongMarket, // 6027
    #[msg("Oracle observation is not newer than the last one")]
    OracleNotUpdated, // 6028
    #[msg("Pool balance is insufficient")]
    InsufficientPoolBalance, // 6029
    #[msg("Trade size must be non-zero")]
    ZeroTrade, // 6030
    #[msg("Vault account is not the exchange's vault")]
    WrongVault, // 6031
    #[msg("Account is not being liquidated")]
    NotBeingLiquidated, // 6032
    #[msg("Account is still below its liquidation-end level")]
    BelowLiquidationEnd, // 6033
    #[msg("A program vault cannot be the destination of a payout")]
    VaultNotAllowed, // 6034
    #[msg("Oracle publish time is ahead of the cluster clock")]
    OracleFromFuture, // 6035
    #[msg("Signer is not the proposed admin")]
    NotPendingAdmin, // 6036
    #[msg("Account layout version is not the one this program reads")]
    UnsupportedLayout, // 6037
    #[msg("The account's positions and recorded shortfalls already span the most markets it can hold")]
    ShortfallRecordFull, // 6038
    #[msg("The account holds no claim on this market's pool, or the pool holds nothing to pay it")]
    NoClaimToPay, // 6039
    #[msg("The pool's capital does not back a larger net position")]
    PoolCapacity, // 6040
    #[msg("The account's deficit is backed by its claims on pools: settle the claims first")]
    DeficitBackedByClaims, // 6041
}

impl From<crate::math::MathError> for MarginError {
    fn from(_: crate::math::MathError) -> Self {
        MarginError::MathOverflow
    }
}

impl From<crate::math::MathError> for anchor_lang::error::Error {
    fn from(e: crate::math::MathError) -> Self {
        MarginError::from(e).into()
    }
}
