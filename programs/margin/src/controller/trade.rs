//! A trade against the pool at the oracle price plus a size-dependent impact.

use crate::errors::MarginError;
use crate::math::oracle_price::{execution_price, impact_ratio};
use crate::math::position::{apply_trade, notional, TradeResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImpactParams {
    pub base_impact_ratio: i128,
    pub impact_ratio_per_million: i128,
    pub max_impact_ratio: i128,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TradePlan {
    pub exec_price: i128,
    pub notional: i128,
    pub result: TradeResult,
}

/// Prices `trade_base` against the pool and applies it to the position (`base`, `quote_entry`).
/// `limit_price` bounds the execution: a buy never pays more, a sell never receives less.
pub fn plan_trade(
    base: i128,
    quote_entry: i128,
    trade_base: i128,
    oracle_price: i128,
    impact: ImpactParams,
    limit_price: i128,
) -> Result<TradePlan, MarginError> {
    if trade_base == 0 {
        return Err(MarginError::ZeroTrade);
    }
    let n = notional(trade_base, oracle_price)?;
    let ratio = impact_ratio(n, impact.base_impact_ratio, impact.impact_ratio_per_million, impact.max_impact_ratio)?;
    let exec_price = execution_price(trade_base, oracle_price, ratio)?;
    let past_limit = if trade_base > 0 { exec_price > limit_price } else { exec_price < limit_price };
    if past_limit {
        return Err(MarginError::LimitPriceExceeded);
    }
    Ok(TradePlan { exec_price, notional: n, result: apply_trade(base, quote_entry, trade_base, exec_price)? })
}

/// How a fill's realized PnL moves between the trader and the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettlement {
    /// Added to the trader's collateral (negative for a loss).
    pub to_trader: i128,
    /// Added to the pool's balance.
    pub pool_delta: i128,
    /// The part of a loss the collateral could not pay: not credited to the pool, recorded on the
    /// account for this market.
    pub shortfall: i128,
    /// Winnings the pool could not pay.
    pub haircut: i128,
}

/// The pool pays winnings down to a zero balance, never below: the rest is the winner's recorded
/// haircut. A loss goes to the pool as far as the collateral held before the fill pays it; the rest
/// is the account's shortfall, so a pool never holds money no one paid in.
pub fn settle_with_pool(realized: i128, pool_balance: i128, collateral_before: i128) -> PoolSettlement {
    if realized >= 0 {
        let paid = realized.min(pool_balance.max(0));
        return PoolSettlement { to_trader: paid, pool_delta: -paid, shortfall: 0, haircut: realized - paid };
    }
    let loss = -realized;
    let paid = loss.min(collateral_before.max(0));
    PoolSettlement { to_trader: realized, pool_delta: paid, shortfall: loss - paid, haircut: 0 }
}

/// A trade reduces risk when the position only shrinks towards zero (never grows or flips).
pub fn reduces_risk(base_before: i128, base_after: i128) -> bool {
    base_after.abs() < base_before.abs() && (base_after == 0 || (base_after > 0) == (base_before > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const USD: i128 = 1_000_000;
    const ONE: i128 = 1_000_000_000;
    const IMPACT: ImpactParams = ImpactParams { base_impact_ratio: 500, impact_ratio_per_million: 1_000, max_impact_ratio: 5_000 };

    #[test]
    fn buys_pay_the_impact_and_respect_the_limit() {
        // Buy 10 SOL at $100: notional $1,000 → impact 0.05% + 0.1% × 0.001 = 500 + 1 → exec 100.0501.
        let plan = plan_trade(0, 0, 10 * ONE, 100 * USD, IMPACT, 101 * USD).unwrap();
        assert_eq!(plan.exec_price, 100_050_100);
        assert_eq!(plan.result.base, 10 * ONE);
        assert_eq!(plan.result.quote_entry, -1_000_501_000);
        assert_eq!(plan_trade(0, 0, 10 * ONE, 100 * USD, IMPACT, 100 * USD), Err(MarginError::LimitPriceExceeded));
        assert_eq!(plan_trade(0, 0, 0, 100 * USD, IMPACT, 0), Err(MarginError::ZeroTrade));
    }

    #[test]
    fn the_pool_pays_down_to_zero_and_receives_only_what_the_collateral_pays() {
        assert_eq!(settle_with_pool(50, 100, 0), PoolSettlement { to_trader: 50, pool_delta: -50, shortfall: 0, haircut: 0 });
        assert_eq!(settle_with_pool(150, 100, 0), PoolSettlement { to_trader: 100, pool_delta: -100, shortfall: 0, haircut: 50 });
        assert_eq!(settle_with_pool(10, 0, -5), PoolSettlement { to_trader: 0, pool_delta: 0, shortfall: 0, haircut: 10 });
        assert_eq!(settle_with_pool(-30, 0, 100), PoolSettlement { to_trader: -30, pool_delta: 30, shortfall: 0, haircut: 0 });
        assert_eq!(settle_with_pool(-30, 0, 20), PoolSettlement { to_trader: -30, pool_delta: 20, shortfall: 10, haircut: 0 });
        assert_eq!(settle_with_pool(-30, 0, -5), PoolSettlement { to_trader: -30, pool_delta: 0, shortfall: 30, haircut: 0 });
    }

    #[test]
    fn only_shrinking_trades_reduce_risk() {
        assert!(reduces_risk(10, 4));
        assert!(reduces_risk(-10, 0));
        assert!(!reduces_risk(10, -4));
        assert!(!reduces_risk(10, 11));
        assert!(!reduces_risk(0, 1));
    }
}
