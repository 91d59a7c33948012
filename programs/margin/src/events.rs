//! Events every state change emits. A UI or the orchestrator decodes them from the transaction log
//! (`Program data: <base64>`), exactly as Anchor's `emit!` writes them.

use anchor_lang::prelude::*;

/// Writes `event` to the transaction log as one `Program data:` entry (discriminator + borsh).
///
/// Equivalent to Anchor's `emit!` on chain. Anchor's own off-chain `sol_log_data` discards its input,
/// so off chain this goes through the program stubs a host runtime installs.
pub fn emit_event<E: anchor_lang::Event>(event: &E) {
    let data = event.data();
    #[cfg(target_os = "solana")]
    anchor_lang::solana_program::log::sol_log_data(&[&data]);
    #[cfg(not(target_os = "solana"))]
    solana_sysvar::program_stubs::sol_log_data(&[&data]);
}

#[event]
pub struct ExchangeInitialized {
    pub exchange: Pubkey,
    pub admin: Pubkey,
    pub quote_mint: Pubkey,
    pub quote_vault: Pubkey,
    pub insurance_vault: Pubkey,
}

#[event]
pub struct MarginAccountCreated {
    pub exchange: Pubkey,
    pub margin_account: Pubkey,
    pub owner: Pubkey,
}

#[event]
pub struct CollateralDeposited {
    pub margin_account: Pubkey,
    pub owner: Pubkey,
    /// Quote native units moved into the vault.
    pub amount: u64,
    /// Account collateral after the deposit, quote native units.
    pub collateral_after: i64,
    pub slot: u64,
}

#[event]
pub struct CollateralWithdrawn {
    pub margin_account: Pubkey,
    pub owner: Pubkey,
    /// Quote native units moved out of the vault.
    pub amount: u64,
    /// Account collateral after the withdrawal, quote native units.
    pub collateral_after: i64,
    pub slot: u64,
}

#[event]
pub struct MarketCreated {
    pub market: Pubkey,
    pub index: u16,
    pub oracle: Pubkey,
}

#[event]
pub struct MarketUpdated {
    pub market: Pubkey,
}

#[event]
pub struct MarketOracleChanged {
    pub market: Pubkey,
    pub previous_oracle: Pubkey,
    pub oracle: Pubkey,
    /// The new oracle's price, now the market's last accepted one.
    pub oracle_price: i64,
    pub publish_time: i64,
}

#[event]
pub struct MarketSettled {
    pub market: Pubkey,
    /// PRICE_PRECISION.
    pub price: i64,
}

#[event]
pub struct PauseChanged {
    /// `Pubkey::default()` for the exchange-wide switch.
    pub market: Pubkey,
    pub paused: bool,
}

#[event]
pub struct InsuranceFunded {
    pub market: Pubkey,
    pub amount: u64,
    pub insurance_balance: i64,
}

#[event]
pub struct PoolLiquidityChanged {
    pub market: Pubkey,
    /// Positive for added liquidity, negative for removed.
    pub amount: i64,
    pub pool_balance: i64,
}

#[event]
pub struct PositionChanged {
    pub margin_account: Pubkey,
    pub market: Pubkey,
    /// BASE_PRECISION, signed.
    pub trade_base: i64,
    /// PRICE_PRECISION.
    pub oracle_price: i64,
    pub exec_price: i64,
    pub base_after: i64,
    pub quote_entry_after: i64,
    pub realized_pnl: i64,
    pub collateral_after: i64,
}

#[event]
pub struct MarketRefreshed {
    pub market: Pubkey,
    pub oracle_price: i64,
    pub publish_time: i64,
    pub ewma_variance: u64,
    pub vol_addon_ratio: u32,
}

#[event]
pub struct AccountFlagged {
    pub margin_account: Pubkey,
    pub liquidation_id: u64,
    pub equity: i64,
    pub maintenance_requirement: i64,
}

/// A flagged or bankrupt account left liquidation without a liquidation step: its owner reduced
/// or deposited, or the price recovered (`unflag_account`).
#[event]
pub struct AccountUnflagged {
    pub margin_account: Pubkey,
    pub liquidation_id: u64,
    /// `AccountStatus` before (1 being liquidated, 2 bankrupt).
    pub status_before: u8,
    pub equity: i64,
    pub liquidation_end_requirement: i64,
}

/// One liquidation step: what was closed, at what prices, with which fees, and the account's
/// health before and after.
#[event]
pub struct LiquidationRecord {
    pub margin_account: Pubkey,
    pub market: Pubkey,
    pub liquidator: Pubkey,
    pub liquidation_id: u64,
    /// BASE_PRECISION, signed (the closing trade).
    pub closed_base: i64,
    pub closed_notional: u64,
    pub oracle_price: i64,
    pub exec_price: i64,
    pub liquidator_fee: u64,
    pub insurance_fee: u64,
    pub equity_before: i64,
    pub maintenance_before: i64,
    pub liquidation_end_before: i64,
    pub equity_after: i64,
    pub maintenance_after: i64,
    pub liquidation_end_after: i64,
    /// `AccountStatus` after this step.
    pub status_after: u8,
}

#[event]
pub struct BankruptcyResolved {
    pub margin_account: Pubkey,
    pub market: Pubkey,
    pub liquidation_id: u64,
    pub deficit: u64,
    pub insurance_paid: u64,
    pub socialized_loss: u64,
    pub insurance_balance_after: i64,
    /// Paid into this market's pool: what the account had covered of its recorded shortfall here,
    /// plus `insurance_paid`. `socialized_loss` is the gain the pool forgoes.
    pub pool_credit: u64,
}

/// The insurance fund paid a liquidator for a step on an account that could not pay its fee.
#[event]
pub struct LiquidationBounty {
    pub margin_account: Pubkey,
    pub market: Pubkey,
    pub liquidator: Pubkey,
    pub liquidation_id: u64,
    pub amount: u64,
}

/// A close whose winnings the pool could not pay in full: the winner got what the pool held.
#[event]
pub struct PoolHaircut {
    pub market: Pubkey,
    pub margin_account: Pubkey,
    /// Realized PnL the close owed the account.
    pub owed: u64,
    pub paid: u64,
    pub haircut: u64,
}

/// A change to an account's claim on a market's pool: `recorded` of a haircut became a claim,
/// `paid` of it was paid into the collateral; `outstanding` is left.
#[event]
pub struct ClaimChanged {
    pub market: Pubkey,
    pub margin_account: Pubkey,
    pub recorded: u64,
    pub paid: u64,
    pub outstanding: u64,
}

#[event]
pub struct AdminProposed {
    pub exchange: Pubkey,
    pub admin: Pubkey,
    pub pending_admin: Pubkey,
}

#[event]
pub struct AdminChanged {
    pub exchange: Pubkey,
    pub previous_admin: Pubkey,
    pub admin: Pubkey,
}
