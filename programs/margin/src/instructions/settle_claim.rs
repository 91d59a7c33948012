use anchor_lang::prelude::*;

use crate::controller::fill::pay_claim;
use crate::errors::MarginError;
use crate::events::{emit_event, ClaimChanged};
use crate::state::*;

use super::common::{claim_outstanding, clear_flag_if_eligible};

#[derive(Accounts)]
pub struct SettleClaim<'info> {
    pub exchange: Account<'info, Exchange>,
    #[account(mut, constraint = margin_account.load()?.exchange == exchange.key() @ MarginError::WrongExchange)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    #[account(
        mut,
        constraint = market.load()?.exchange == exchange.key() @ MarginError::WrongMarket,
        constraint = Market::readable(market.load()?.version) @ MarginError::UnsupportedLayout,
    )]
    pub market: AccountLoader<'info, Market>,
}

/// Permissionless: pays the account's claim on `market`'s pool (winnings it could not pay at a
/// close) into the account's collateral, as far as the pool now holds money. Nothing moves between
/// vaults: the pool's share of the quote vault becomes the account's. A bankrupt account whose
/// deficit the payment covers returns to healthy.
pub fn handler(ctx: Context<SettleClaim>) -> Result<()> {
    let mut account = ctx.accounts.margin_account.load_mut()?;
    let mut market = ctx.accounts.market.load_mut()?;
    let paid = pay_claim(&mut account, &mut market)?;
    require!(paid > 0, MarginError::NoClaimToPay);
    // A bankrupt account whose claim covered its deficit has nothing left to resolve; its record
    // then holds what it covered, for `resolve_bankruptcy` to settle to those pools.
    if account.status() == AccountStatus::Bankrupt {
        clear_flag_if_eligible(&mut account, ctx.accounts.margin_account.key(), &[])?;
    }
    emit_event(&ClaimChanged {
        market: ctx.accounts.market.key(),
        margin_account: ctx.accounts.margin_account.key(),
        recorded: 0,
        paid,
        outstanding: claim_outstanding(&account, market.index),
    });
    Ok(())
}
