use anchor_lang::prelude::*;

use crate::controller::health::eligibility_health;
use crate::controller::liquidation::flag_eligible;
use crate::errors::MarginError;
use crate::events::{emit_event, AccountFlagged};
use crate::math::checked::to_i64;
use crate::state::*;

use super::common::{other_positions, Purpose};

#[derive(Accounts)]
pub struct FlagAccount<'info> {
    #[account(mut)]
    pub exchange: Account<'info, Exchange>,
    #[account(mut, constraint = margin_account.load()?.exchange == exchange.key() @ MarginError::WrongExchange)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
}

/// Permissionless: marks an account below maintenance as being liquidated and gives the
/// liquidation an id. Remaining accounts: `[market, oracle]` of every open position.
pub fn handler<'info>(ctx: Context<'_, '_, 'info, 'info, FlagAccount<'info>>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let mut account = ctx.accounts.margin_account.load_mut()?;
    match account.status() {
        AccountStatus::Healthy => {}
        AccountStatus::BeingLiquidated => return err!(MarginError::AlreadyBeingLiquidated),
        AccountStatus::Bankrupt => return err!(MarginError::AccountInLiquidation),
    }
    let positions =
        other_positions(&account, &ctx.accounts.exchange.key(), ctx.remaining_accounts, None, now, Purpose::Liquidate)?;
    let health = eligibility_health(i128::from(account.collateral), &positions)?;
    require!(flag_eligible(&health, account.status()), MarginError::AccountHealthy);

    let exchange = &mut ctx.accounts.exchange;
    exchange.liquidation_count = exchange.liquidation_count.checked_add(1).ok_or(MarginError::MathOverflow)?;
    account.liquidation_id = exchange.liquidation_count;
    account.set_status(AccountStatus::BeingLiquidated);
    emit_event(&AccountFlagged {
        margin_account: ctx.accounts.margin_account.key(),
        liquidation_id: account.liquidation_id,
        equity: to_i64(health.equity)?,
        maintenance_requirement: to_i64(health.maintenance)?,
    });
    Ok(())
}
