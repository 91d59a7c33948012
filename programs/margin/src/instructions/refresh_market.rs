use anchor_lang::prelude::*;

use crate::controller::volatility::{observe, VolatilityState};
use crate::errors::MarginError;
use crate::events::{emit_event, MarketRefreshed};
use crate::math::checked::to_i64;
use crate::state::*;

use super::common::{read_oracle, Purpose};

#[derive(Accounts)]
pub struct RefreshMarket<'info> {
    #[account(mut, constraint = Market::readable(market.load()?.version) @ MarginError::UnsupportedLayout)]
    pub market: AccountLoader<'info, Market>,
    /// CHECK: checked against the market (address, owner, layout, feed, freshness).
    pub oracle: UncheckedAccount<'info>,
}

/// Permissionless: folds the oracle's newest observation into the market's volatility estimate
/// (`controller::volatility`: decay per second, returns per √second, one print bounded, the add-on
/// phased in). Only prices good enough to open positions with are used.
pub fn handler(ctx: Context<RefreshMarket>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let mut market = ctx.accounts.market.load_mut()?;
    require!(!market.is_settled(), MarginError::Paused);
    let reading = read_oracle(&market, &ctx.accounts.oracle.to_account_info(), now, Purpose::AddRisk)?;
    let state = VolatilityState {
        variance: i128::from(market.ewma_variance),
        last_price: i128::from(market.last_oracle_price),
        last_publish_time: market.last_oracle_publish_time,
        addon: i128::from(market.vol_addon_ratio),
    };
    let next = observe(
        state,
        reading.price,
        reading.publish_time,
        i128::from(market.ewma_lambda),
        i128::from(market.vol_multiplier),
        i128::from(market.vol_addon_cap),
    )?;
    market.ewma_variance = u64::try_from(next.variance).map_err(|_| MarginError::MathOverflow)?;
    market.last_oracle_price = to_i64(next.last_price)?;
    market.last_oracle_publish_time = next.last_publish_time;
    market.vol_addon_ratio = u32::try_from(next.addon).map_err(|_| MarginError::MathOverflow)?;
    emit_event(&MarketRefreshed {
        market: ctx.accounts.market.key(),
        oracle_price: market.last_oracle_price,
        publish_time: market.last_oracle_publish_time,
        ewma_variance: market.ewma_variance,
        vol_addon_ratio: market.vol_addon_ratio,
    });
    Ok(())
}
