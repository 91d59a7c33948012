use anchor_lang::prelude::*;

use crate::controller::params;
use crate::errors::MarginError;
use crate::events::{emit_event, MarketUpdated};
use crate::state::*;

#[derive(Accounts)]
pub struct UpdateMarket<'info> {
    pub admin: Signer<'info>,
    #[account(constraint = exchange.admin == admin.key() @ MarginError::Unauthorized)]
    pub exchange: Account<'info, Exchange>,
    #[account(mut, constraint = market.load()?.exchange == exchange.key() @ MarginError::WrongMarket)]
    pub market: AccountLoader<'info, Market>,
}

/// Replaces the parameters. A lowered add-on cap applies at once: the stored add-on is clamped to it.
pub fn handler(ctx: Context<UpdateMarket>, params: MarketParams) -> Result<()> {
    params::validate_or_error(&params)?;
    let mut market = ctx.accounts.market.load_mut()?;
    market.apply_params(&params);
    market.vol_addon_ratio = market.vol_addon_ratio.min(market.vol_addon_cap);
    drop(market);
    emit_event(&MarketUpdated { market: ctx.accounts.market.key() });
    Ok(())
}
