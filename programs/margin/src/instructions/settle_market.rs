use anchor_lang::prelude::*;

use crate::errors::MarginError;
use crate::events::{emit_event, MarketSettled};
use crate::state::*;

#[derive(Accounts)]
pub struct SettleMarket<'info> {
    pub admin: Signer<'info>,
    #[account(constraint = exchange.admin == admin.key() @ MarginError::Unauthorized)]
    pub exchange: Account<'info, Exchange>,
    #[account(
        mut,
        constraint = market.load()?.exchange == exchange.key() @ MarginError::WrongMarket,
        constraint = Market::readable(market.load()?.version) @ MarginError::UnsupportedLayout,
    )]
    pub market: AccountLoader<'info, Market>,
}

/// Settles a market whose oracle died at a fixed `price` (PRICE_PRECISION): from then on every
/// position in it is valued, liquidated and closed at that price with no confidence interval, so
/// its holders can close and withdraw; nothing may add risk, and the market stays paused. Once set,
/// the price cannot change (a market is settled once).
pub fn handler(ctx: Context<SettleMarket>, price: u64) -> Result<()> {
    let mut market = ctx.accounts.market.load_mut()?;
    require!(!market.is_settled(), MarginError::InvalidMarketParams);
    let price = i64::try_from(price).map_err(|_| MarginError::MathOverflow)?;
    require!(price > 0, MarginError::InvalidOraclePrice);
    market.settlement_price = price;
    market.paused = 1;
    emit_event(&MarketSettled { market: ctx.accounts.market.key(), price });
    Ok(())
}
