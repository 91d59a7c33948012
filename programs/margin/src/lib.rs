//! margin-warden's on-chain program: margin accounts, an exchange with a quote-token vault and an
//! insurance-fund vault, deposits and withdrawals. Handlers live one per file in `instructions/`.

use anchor_lang::prelude::*;

pub mod errors;
pub mod events;
pub mod instructions;
pub mod math;
pub mod state;

use instructions::*;

declare_id!("796WEWCyqBUDsnMbNSLgaJR5bZAG32237yywsBogJnfG");

#[program]
pub mod margin {
    use super::*;

    /// Creates the exchange for one quote mint, with its quote vault and insurance-fund vault.
    pub fn initialize_exchange(ctx: Context<InitializeExchange>) -> Result<()> {
        instructions::initialize_exchange::handler(ctx)
    }

    /// Creates the caller's margin account on an exchange.
    pub fn create_margin_account(ctx: Context<CreateMarginAccount>) -> Result<()> {
        instructions::create_margin_account::handler(ctx)
    }

    /// Moves `amount` quote tokens (native units) from the owner's token account into the vault.
    pub fn deposit(ctx: Context<Deposit>, amount: u64) -> Result<()> {
        instructions::deposit::handler(ctx, amount)
    }

    /// Moves `amount` quote tokens (native units) from the vault back to the owner.
    pub fn withdraw(ctx: Context<Withdraw>, amount: u64) -> Result<()> {
        instructions::withdraw::handler(ctx, amount)
    }
}
