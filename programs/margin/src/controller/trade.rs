//! A trade against the pool at the oracle price plus an impact that depends on the pool's skew
//! (so splitting an order saves nothing) and, for a trade that adds risk, a spread that grows with
//! the price's age and uncertainty (so an old price is no free option).

use crate::errors::MarginError;
use crate::math::checked::{add, div_ceil, div_floor, mul, mul_div_floor, sub, MathResult};
use crate::math::constants::QUOTE_PRECISION;
use crate::math::oracle_price::{confidence_ratio, execution_price, impact_ratio};
use crate::math::position::{apply_trade, notional, TradeResult};

/// The spread a risk-adding trade pays per second of oracle age, RATIO_PRECISION (0.02%).
pub const OPEN_SPREAD_PER_AGE_S: i128 = 200;

/// The base amount whose notional sets a trade's impact: the midpoint of the part of the trade
/// that pushes the pool's exposure (`skew`, traders' net base) further from zero. A trade that only
/// brings it back pays the base impact alone; a trade split in pieces pays, piece by piece, what
/// it would have paid whole.
pub fn skew_impact_base(skew_before: i128, trade_base: i128) -> i128 {
    skew_push(skew_before, trade_base).map(|(start, end)| (start + end) / 2).unwrap_or(0)
}

/// The stretch `[start, end]` of |skew| (base units) that a trade pushes further from zero, if any.
fn skew_push(skew_before: i128, trade_base: i128) -> Option<(i128, i128)> {
    let after = skew_before + trade_base;
    let start = if skew_before == 0 || (after > 0) == (skew_before > 0) { skew_before.abs() } else { 0 };
    (after.abs() > start).then_some((start, after.abs()))
}

/// The impact ratio of a trade that moves the pool's skew (`skew`, traders' net base) by
/// `trade_base` at `oracle_price`: the average, over the part of the trade that pushes the skew
/// further from zero, of `impact_ratio` at each point of it — below `max_impact_ratio` that is
/// the ratio at the midpoint (`skew_impact_base`), and where the cap binds the capped stretch counts
/// at the cap — and, for a trade through zero, the base impact on the part that only brings the skew
/// back. So a trade costs what its pieces cost, whichever side of the cap or of zero they fall on.
/// Rounded up.
pub fn skew_impact_ratio(skew: i128, trade_base: i128, oracle_price: i128, p: ImpactParams) -> MathResult<i128> {
    let base_ratio = p.base_impact_ratio.min(p.max_impact_ratio);
    let Some((start, end)) = skew_push(skew, trade_base) else { return Ok(base_ratio) };
    let pushing = pushing_ratio(skew_impact_base(skew, trade_base), start, end, oracle_price, p)?;
    // The part of a trade through zero that only brings the skew back pays the base impact alone.
    let (push_len, total) = (end - start, trade_base.abs());
    if push_len >= total {
        return Ok(pushing);
    }
    div_ceil(add(mul(pushing, push_len)?, mul(base_ratio, sub(total, push_len)?)?)?, total)
}

/// The average impact ratio over the stretch `[start, end]` of |skew| a trade pushes (`mid`: its
/// midpoint, `skew_impact_base`).
fn pushing_ratio(mid: i128, start: i128, end: i128, oracle_price: i128, p: ImpactParams) -> MathResult<i128> {
    let at_mid = impact_ratio(
        notional(mid, oracle_price)?,
        p.base_impact_ratio,
        p.impact_ratio_per_million,
        p.max_impact_ratio,
    )?;
    if p.impact_ratio_per_million <= 0 || p.base_impact_ratio >= p.max_impact_ratio {
        return Ok(at_mid);
    }
    // The pushing stretch in notional, [from, to]; below the cap at its end, the midpoint is exact.
    let (from, to) = (notional(start, oracle_price)?, notional(end, oracle_price)?);
    if impact_ratio(to, p.base_impact_ratio, p.impact_ratio_per_million, i128::MAX)? <= p.max_impact_ratio {
        return Ok(at_mid);
    }
    // Where the linear ratio reaches the cap.
    let knee = mul_div_floor(
        sub(p.max_impact_ratio, p.base_impact_ratio)?,
        QUOTE_PRECISION * 1_000_000,
        p.impact_ratio_per_million,
    )?;
    if from >= knee || to <= from {
        return Ok(p.max_impact_ratio);
    }
    let linear = impact_ratio(
        div_floor(add(from, knee)?, 2)?,
        p.base_impact_ratio,
        p.impact_ratio_per_million,
        p.max_impact_ratio,
    )?;
    let total = add(mul(linear, sub(knee, from)?)?, mul(p.max_impact_ratio, sub(to, knee)?)?)?;
    Ok(div_ceil(total, sub(to, from)?)?.min(p.max_impact_ratio))
}

/// The extra spread a risk-adding trade pays on a price `age_s` old: its confidence ratio plus
/// `OPEN_SPREAD_PER_AGE_S` per second of age, RATIO_PRECISION.
pub fn opening_spread(price: i128, conf: i128, age_s: i64) -> MathResult<i128> {
    add(confidence_ratio(price, conf)?, OPEN_SPREAD_PER_AGE_S * i128::from(age_s.max(0)))
}

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

/// Prices `trade_base` against the pool (whose traders are net `skew` base) and applies it to the
/// position (`base`, `quote_entry`). The impact follows the skew the trade creates
/// (`skew_impact_ratio`, never above `max_impact_ratio`); `spread` (`opening_spread`, 0 for a
/// reduction) is added on top. `limit_price` bounds the execution: a buy never pays more, a sell
/// never receives less.
#[allow(clippy::too_many_arguments)]
pub fn plan_trade(
    base: i128,
    quote_entry: i128,
    trade_base: i128,
    oracle_price: i128,
    impact: ImpactParams,
    skew: i128,
    spread: i128,
    limit_price: i128,
) -> Result<TradePlan, MarginError> {
    if trade_base == 0 {
        return Err(MarginError::ZeroTrade);
    }
    let n = notional(trade_base, oracle_price)?;
    let ratio = skew_impact_ratio(skew, trade_base, oracle_price, impact)?;
    let exec_price = execution_price(trade_base, oracle_price, add(ratio, spread)?)?;
    let past_limit = if trade_base > 0 { exec_price > limit_price } else { exec_price < limit_price };
    if past_limit {
        return Err(MarginError::LimitPriceExceeded);
    }
    Ok(TradePlan { exec_price, notional: n, result: apply_trade(base, quote_entry, trade_base, exec_price)? })
}

/// A market's impact parameters.
pub fn impact_params(market: &crate::state::Market) -> ImpactParams {
    ImpactParams {
        base_impact_ratio: i128::from(market.base_impact_ratio),
        impact_ratio_per_million: i128::from(market.impact_ratio_per_million),
        max_impact_ratio: i128::from(market.max_impact_ratio),
    }
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
    const IMPACT: ImpactParams =
        ImpactParams { base_impact_ratio: 500, impact_ratio_per_million: 1_000, max_impact_ratio: 5_000 };

    #[test]
    fn buys_pay_the_impact_and_respect_the_limit() {
        // Buy 2,000 SOL at $100 into a flat pool: the skew's midpoint is 1,000 SOL, $100,000 →
        // impact 0.05% + 0.1% × 0.1 = 500 + 100 → exec 100.06.
        let plan = plan_trade(0, 0, 2_000 * ONE, 100 * USD, IMPACT, 0, 0, 101 * USD).unwrap();
        assert_eq!(plan.exec_price, 100_060_000);
        assert_eq!(plan.result.base, 2_000 * ONE);
        assert_eq!(plan.result.quote_entry, -200_120_000_000);
        assert_eq!(
            plan_trade(0, 0, 2_000 * ONE, 100 * USD, IMPACT, 0, 0, 100 * USD),
            Err(MarginError::LimitPriceExceeded)
        );
        assert_eq!(plan_trade(0, 0, 0, 100 * USD, IMPACT, 0, 0, 0), Err(MarginError::ZeroTrade));
        // A 0.1% spread on top.
        assert_eq!(
            plan_trade(0, 0, 2_000 * ONE, 100 * USD, IMPACT, 0, 1_000, 101 * USD).unwrap().exec_price,
            100_160_000
        );
    }

    #[test]
    fn splitting_an_order_pays_what_the_whole_order_pays() {
        let whole = plan_trade(0, 0, 2_000 * ONE, 100 * USD, IMPACT, 0, 0, i128::MAX).unwrap();
        let first = plan_trade(0, 0, 1_000 * ONE, 100 * USD, IMPACT, 0, 0, i128::MAX).unwrap();
        let second = plan_trade(0, 0, 1_000 * ONE, 100 * USD, IMPACT, 1_000 * ONE, 0, i128::MAX).unwrap();
        assert_eq!(-(first.result.quote_entry + second.result.quote_entry), -whole.result.quote_entry);
        // A trade against the skew pays the base impact only.
        let back = plan_trade(0, 0, -500 * ONE, 100 * USD, IMPACT, 2_000 * ONE, 0, 0).unwrap();
        assert_eq!(back.exec_price, 100 * USD - 50_000);
    }

    #[test]
    fn splitting_saves_nothing_where_the_impact_cap_binds() {
        // The cap (0.5%) binds from $4.5M of skew notional: a $10M buy straddles it, and ten $1M
        // pieces paid 0.1% to 0.4% before the cap (they saved $10,000 against the whole order).
        let whole = plan_trade(0, 0, 100_000 * ONE, 100 * USD, IMPACT, 0, 0, i128::MAX).unwrap();
        let mut skew = 0;
        let mut paid = 0;
        for _ in 0..10 {
            let piece = plan_trade(0, 0, 10_000 * ONE, 100 * USD, IMPACT, skew, 0, i128::MAX).unwrap();
            paid += -piece.result.quote_entry;
            skew += 10_000 * ONE;
        }
        let cost = -whole.result.quote_entry;
        assert!((paid - cost).abs() <= 10 * USD, "pieces {paid} vs whole {cost}");
        // Entirely past the knee: the cap; entirely before it: the midpoint's ratio, as before.
        assert_eq!(skew_impact_ratio(50_000 * ONE, 10_000 * ONE, 100 * USD, IMPACT), Ok(5_000));
        assert_eq!(skew_impact_ratio(0, 2_000 * ONE, 100 * USD, IMPACT), Ok(600));
        // Straddling $0–10M: 0.05% + 0.1%/M averages 0.275% up to $4.5M, then 0.5%:
        // (0.275% × 4.5 + 0.5% × 5.5) / 10 = 0.39875%, rounded up.
        assert_eq!(skew_impact_ratio(0, 100_000 * ONE, 100 * USD, IMPACT), Ok(3_988));
    }

    #[test]
    fn a_trade_through_zero_costs_what_its_two_halves_cost() {
        // Skew −50,000: a 100,000 buy first brings it back to zero (base impact), then pushes it
        // to +50,000; below the cap and past it alike, the halves pay what the whole pays.
        for (skew, size) in [(-50_000 * ONE, 100_000 * ONE), (-2_000 * ONE, 4_000 * ONE)] {
            let whole = plan_trade(0, 0, size, 100 * USD, IMPACT, skew, 0, i128::MAX).unwrap();
            let back = plan_trade(0, 0, size / 2, 100 * USD, IMPACT, skew, 0, i128::MAX).unwrap();
            let out = plan_trade(0, 0, size / 2, 100 * USD, IMPACT, skew + size / 2, 0, i128::MAX).unwrap();
            let (one, two) = (-whole.result.quote_entry, -(back.result.quote_entry + out.result.quote_entry));
            assert!((one - two).abs() <= 10 * USD, "whole {one} vs halves {two}");
        }
    }

    #[test]
    fn the_skew_part_of_a_trade_and_the_opening_spread() {
        assert_eq!(skew_impact_base(0, 10), 5);
        assert_eq!(skew_impact_base(10, 10), 15);
        assert_eq!(skew_impact_base(10, -4), 0);
        // Through zero: only the part beyond it pushes the exposure.
        assert_eq!(skew_impact_base(10, -30), 10);
        assert_eq!(skew_impact_base(-10, -10), 15);
        // 0.1% confidence and 10 s of age: 0.1% + 0.2%.
        assert_eq!(opening_spread(100 * USD, 100_000, 10), Ok(3_000));
    }

    #[test]
    fn the_pool_pays_down_to_zero_and_receives_only_what_the_collateral_pays() {
        assert_eq!(
            settle_with_pool(50, 100, 0),
            PoolSettlement { to_trader: 50, pool_delta: -50, shortfall: 0, haircut: 0 }
        );
        assert_eq!(
            settle_with_pool(150, 100, 0),
            PoolSettlement { to_trader: 100, pool_delta: -100, shortfall: 0, haircut: 50 }
        );
        assert_eq!(
            settle_with_pool(10, 0, -5),
            PoolSettlement { to_trader: 0, pool_delta: 0, shortfall: 0, haircut: 10 }
        );
        assert_eq!(
            settle_with_pool(-30, 0, 100),
            PoolSettlement { to_trader: -30, pool_delta: 30, shortfall: 0, haircut: 0 }
        );
        assert_eq!(
            settle_with_pool(-30, 0, 20),
            PoolSettlement { to_trader: -30, pool_delta: 20, shortfall: 10, haircut: 0 }
        );
        assert_eq!(
            settle_with_pool(-30, 0, -5),
            PoolSettlement { to_trader: -30, pool_delta: 0, shortfall: 30, haircut: 0 }
        );
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
