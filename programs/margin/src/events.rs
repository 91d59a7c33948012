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
