use anchor_lang::prelude::*;

use crate::controller::health::eligibility_health;
use crate::controller::liquidation::unflag_eligible;
use crate::errors::MarginError;
use crate::state::*;

use super::common::{clear_flag_if_eligible, other_positions, Purpose};

#[derive(Accounts)]
pub struct UnflagAccount<'info> {
    pub exchange: Account<'info, Exchange>,
    #[account(mut, constraint = margin_account.load()?.exchange == exchange.key() @ MarginError::WrongExchange)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
}

/// Permissionless: returns a flagged account that is back at or above its liquidation-end level
/// (or has no positions and collateral ≥ 0) to healthy, so its owner can trade and withdraw again.
/// Prices with the liquidation limits. Remaining accounts: `[market, oracle]` of every open position.
pub fn handler<'info>(ctx: Context<'_, '_, 'info, 'info, UnflagAccount<'info>>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let key = ctx.accounts.margin_account.key();
    let mut account = ctx.accounts.margin_account.load_mut()?;
    require!(account.status() == AccountStatus::BeingLiquidated, MarginError::NotBeingLiquidated);
    let positions =
        other_positions(&account, &ctx.accounts.exchange.key(), ctx.remaining_accounts, None, now, Purpose::Liquidate)?;
    let health = eligibility_health(i128::from(account.collateral), &positions)?;
    require!(unflag_eligible(&health, account.status()), MarginError::BelowLiquidationEnd);
    clear_flag_if_eligible(&mut account, key, &positions)?;
    Ok(())
}
