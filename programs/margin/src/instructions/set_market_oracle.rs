use anchor_lang::prelude::*;

use crate::errors::MarginError;
use crate::events::{emit_event, MarketOracleChanged};
use crate::math::checked::to_i64;
use crate::state::*;

#[derive(Accounts)]
pub struct SetMarketOracle<'info> {
    pub admin: Signer<'info>,
    #[account(constraint = exchange.admin == admin.key() @ MarginError::Unauthorized)]
    pub exchange: Account<'info, Exchange>,
    #[account(
        mut,
        constraint = market.load()?.exchange == exchange.key() @ MarginError::WrongMarket,
        constraint = Market::readable(market.load()?.version) @ MarginError::UnsupportedLayout,
    )]
    pub market: AccountLoader<'info, Market>,
    /// CHECK: the new price account; it must read as a price in the market's layout, owner and feed
    /// (set those first with `update_market` when they change too).
    pub oracle: UncheckedAccount<'info>,
}

/// Moves a market to another oracle account (its feed died or moved). The new oracle's reading,
/// which must pass the opening limits, becomes the market's last accepted price, so volatility refreshes and the newest-price rule for
/// opening continue from the new feed.
pub fn handler(ctx: Context<SetMarketOracle>) -> Result<()> {
    let mut market = ctx.accounts.market.load_mut()?;
    let previous_oracle = market.oracle;
    market.oracle = ctx.accounts.oracle.key();
    // The new feed's price becomes the market's last accepted one: it must be good enough to open
    // positions with (fresh, certain, not ahead of the clock).
    let reading = super::common::parse_oracle(&market, &ctx.accounts.oracle.to_account_info())?;
    let now = Clock::get()?.unix_timestamp;
    crate::controller::oracle_guard::check(
        &reading,
        now,
        super::common::limits(&market, super::common::Purpose::AddRisk),
    )?;
    market.last_oracle_price = to_i64(reading.price)?;
    market.last_oracle_publish_time = reading.publish_time;
    emit_event(&MarketOracleChanged {
        market: ctx.accounts.market.key(),
        previous_oracle,
        oracle: market.oracle,
        oracle_price: market.last_oracle_price,
        publish_time: reading.publish_time,
    });
    Ok(())
}
