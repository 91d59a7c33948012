//! Partial liquidation: how much of a position to close to restore the liquidation-end level, the
//! fees it pays (shrunk so fees alone never bankrupt the account), and liquidation prices.

use super::checked::{add, mul_div_ceil, mul_div_floor, sub, MathResult};
use super::constants::RATIO_PRECISION;
use super::margin::{liquidation_end_requirement, position_requirement, ratio_of, Requirement, Tier};
use super::oracle_price::valuation_price;
use super::position::{base_value, notional, trade_quote};

/// A position being liquidated, with the prices and parameters of its market.
#[derive(Debug, Clone, Copy)]
pub struct ClosingPosition<'a> {
    pub base: i128,
    pub oracle_price: i128,
    pub conf: i128,
    /// Price the closing trade executes at (oracle moved against the account by the impact).
    pub exec_price: i128,
    pub tiers: &'a [Tier],
    pub addon_ratio: i128,
    pub buffer_ratio: i128,
    pub liquidator_fee_ratio: i128,
    pub insurance_fee_ratio: i128,
}

/// Nominal liquidation fees on `notional`: (liquidator, insurance fund), each rounded up.
pub fn liquidation_fees(
    notional: i128,
    liquidator_fee_ratio: i128,
    insurance_fee_ratio: i128,
) -> MathResult<(i128, i128)> {
    Ok((ratio_of(notional, liquidator_fee_ratio)?, ratio_of(notional, insurance_fee_ratio)?))
}

/// Shrinks fees so the account's equity after paying them is not negative: the fees take at most
/// what equity is left after the close. The liquidator's share is rounded down, so the remainder
/// (the insurance fund's) absorbs the unit.
pub fn shrink_fees(liquidator_fee: i128, insurance_fee: i128, equity_after_close: i128) -> MathResult<(i128, i128)> {
    let total = add(liquidator_fee, insurance_fee)?;
    let available = equity_after_close.max(0);
    if total <= available {
        return Ok((liquidator_fee, insurance_fee));
    }
    if total == 0 {
        return Ok((0, 0));
    }
    let liquidator = mul_div_floor(liquidator_fee, available, total)?;
    Ok((liquidator, sub(available, liquidator)?))
}

/// Equity minus the liquidation-end requirement after closing `close_abs` base units of `pos`,
/// given the account's current `equity` and total `end_requirement`. Fees are counted in full.
pub fn health_after_close(
    equity: i128,
    end_requirement: i128,
    pos: &ClosingPosition,
    close_abs: i128,
) -> MathResult<i128> {
    let trade = if pos.base > 0 { -close_abs } else { close_abs };
    let new_base = add(pos.base, trade)?;
    let val = valuation_price(pos.base, pos.oracle_price, pos.conf)?;
    let value_change = sub(base_value(new_base, val)?, base_value(pos.base, val)?)?;
    let equity_after = add(add(equity, value_change)?, trade_quote(trade, pos.exec_price)?)?;
    let (liq_fee, ins_fee) =
        liquidation_fees(notional(trade, pos.oracle_price)?, pos.liquidator_fee_ratio, pos.insurance_fee_ratio)?;
    let end_before = liquidation_end_requirement(
        notional(pos.base, pos.oracle_price)?,
        pos.tiers,
        pos.addon_ratio,
        pos.buffer_ratio,
    )?;
    let end_after = liquidation_end_requirement(
        notional(new_base, pos.oracle_price)?,
        pos.tiers,
        pos.addon_ratio,
        pos.buffer_ratio,
    )?;
    let end = add(sub(end_requirement, end_before)?, end_after)?;
    sub(sub(sub(equity_after, liq_fee)?, ins_fee)?, end)
}

/// Base units of `pos` to close: the least amount that lifts the account to the liquidation-end
/// level (all of it if nothing less does), at most `max_close_abs`, and everything when the
/// remainder's notional would fall under `min_remainder_notional`.
pub fn base_to_close(
    equity: i128,
    end_requirement: i128,
    pos: &ClosingPosition,
    max_close_abs: i128,
    min_remainder_notional: i128,
) -> MathResult<i128> {
    let size = pos.base.abs();
    if size == 0 || health_after_close(equity, end_requirement, pos, 0)? >= 0 {
        return Ok(0);
    }
    let mut close = size;
    if health_after_close(equity, end_requirement, pos, size)? >= 0 {
        // Invariant: health(lo) < 0 <= health(hi).
        let (mut lo, mut hi) = (0i128, size);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if health_after_close(equity, end_requirement, pos, mid)? >= 0 {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        close = hi;
    }
    close = close.min(max_close_abs.max(0));
    if notional(sub(size, close)?, pos.oracle_price)? < min_remainder_notional {
        close = size;
    }
    Ok(close)
}

/// The rest of an account, seen from one of its positions.
#[derive(Debug, Clone, Copy)]
pub struct RestOfAccount {
    /// Collateral plus the PnL of every other position (at their confidence-adjusted prices).
    pub equity: i128,
    /// The other positions' maintenance requirements.
    pub maintenance: i128,
}

/// Equity minus maintenance requirement if this position's market traded at `price` (its
/// confidence interval scaling with the price at `conf_ratio`), everything else fixed.
pub fn maintenance_health_at(
    base: i128,
    quote_entry: i128,
    price: i128,
    conf_ratio: i128,
    tiers: &[Tier],
    addon_ratio: i128,
    rest: &RestOfAccount,
) -> MathResult<i128> {
    let conf = mul_div_ceil(price, conf_ratio, RATIO_PRECISION)?;
    let val = valuation_price(base, price, conf)?;
    let equity = add(add(rest.equity, base_value(base, val)?)?, quote_entry)?;
    let requirement = add(
        rest.maintenance,
        position_requirement(notional(base, price)?, tiers, Requirement::Maintenance, addon_ratio)?,
    )?;
    sub(equity, requirement)
}

/// The price at which the account reaches its maintenance requirement through this position
/// alone: for a long the highest price at or below which it is liquidatable, for a short the
/// lowest at or above which it is. `None` when no positive price (up to `max_price`) gets there.
pub fn liquidation_price(
    base: i128,
    quote_entry: i128,
    conf_ratio: i128,
    tiers: &[Tier],
    addon_ratio: i128,
    rest: &RestOfAccount,
    max_price: i128,
) -> MathResult<Option<i128>> {
    if base == 0 {
        return Ok(None);
    }
    let unhealthy = |p: i128| -> MathResult<bool> {
        Ok(maintenance_health_at(base, quote_entry, p, conf_ratio, tiers, addon_ratio, rest)? < 0)
    };
    if base > 0 {
        // Health rises with the price: find the largest p in [1, max] with health(p) < 0.
        if !unhealthy(1)? {
            return Ok(None);
        }
        if unhealthy(max_price)? {
            return Ok(Some(max_price));
        }
        let (mut lo, mut hi) = (1i128, max_price); // unhealthy(lo), !unhealthy(hi)
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if unhealthy(mid)? {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Ok(Some(lo))
    } else {
        // Health falls with the price: find the smallest p with health(p) < 0.
        if !unhealthy(max_price)? {
            return Ok(None);
        }
        if unhealthy(1)? {
            return Ok(Some(1));
        }
        let (mut lo, mut hi) = (1i128, max_price); // !unhealthy(lo), unhealthy(hi)
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if unhealthy(mid)? {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Ok(Some(hi))
    }
}

#[cfg(test)]
mod tests;
