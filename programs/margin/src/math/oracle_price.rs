//! Oracle prices in PRICE_PRECISION and their confidence adjustment.

use super::checked::{add, div_ceil, div_floor, mul, mul_div_ceil, sub, MathError, MathResult};
use super::constants::{QUOTE_PRECISION, RATIO_PRECISION};

/// The exponent of PRICE_PRECISION (1e6).
pub const PRICE_EXPONENT: i32 = -6;

fn pow10(e: u32) -> MathResult<i128> {
    10i128.checked_pow(e).ok_or(MathError::Overflow)
}

/// `value × 10^(expo + 6)`: multiplied exactly, or divided with `divide` doing the rounding.
fn rescale(value: i128, expo: i32, divide: fn(i128, i128) -> MathResult<i128>) -> MathResult<i128> {
    let shift = expo - PRICE_EXPONENT;
    if !(-30..=30).contains(&shift) {
        return Err(MathError::Overflow);
    }
    if shift >= 0 {
        mul(value, pow10(shift as u32)?)
    } else {
        divide(value, pow10((-shift) as u32)?)
    }
}

/// A Pyth mantissa/exponent price in PRICE_PRECISION, rounded down.
pub fn scale_price_floor(mantissa: i64, expo: i32) -> MathResult<i128> {
    rescale(i128::from(mantissa), expo, div_floor)
}

/// A Pyth confidence interval in PRICE_PRECISION, rounded up (a wider interval is the safe side).
pub fn scale_conf_ceil(conf: u64, expo: i32) -> MathResult<i128> {
    rescale(i128::from(conf), expo, div_ceil)
}

/// Confidence as a ratio of the price (RATIO_PRECISION), rounded up.
pub fn confidence_ratio(price: i128, conf: i128) -> MathResult<i128> {
    if price <= 0 {
        return Err(MathError::DivisionByZero);
    }
    mul_div_ceil(conf, RATIO_PRECISION, price)
}

/// The price a position is valued at: the edge of the confidence interval that hurts its holder
/// (longs at `price - conf`, never below zero; shorts at `price + conf`).
pub fn valuation_price(base: i128, price: i128, conf: i128) -> MathResult<i128> {
    if base >= 0 {
        Ok(sub(price, conf)?.max(0))
    } else {
        add(price, conf)
    }
}

/// The price a trade of `trade_base` executes at against the pool: the oracle price moved against
/// the trader by `impact_ratio` (buys pay more, sells receive less), rounded against the trader.
pub fn execution_price(trade_base: i128, price: i128, impact_ratio: i128) -> MathResult<i128> {
    let impact_up = mul_div_ceil(price, impact_ratio, RATIO_PRECISION)?;
    if trade_base >= 0 {
        add(price, impact_up)
    } else {
        let lowered = div_floor(mul(price, sub(RATIO_PRECISION, impact_ratio)?)?, RATIO_PRECISION)?;
        Ok(lowered.max(0))
    }
}

/// Price impact of a trade (RATIO_PRECISION): `base_impact_ratio` plus `impact_ratio_per_million`
/// for every million quote units (1e12 native) of notional, capped at `max_impact_ratio`.
pub fn impact_ratio(
    notional: i128,
    base_impact_ratio: i128,
    impact_ratio_per_million: i128,
    max_impact_ratio: i128,
) -> MathResult<i128> {
    let size_part = mul_div_ceil(notional, impact_ratio_per_million, QUOTE_PRECISION * 1_000_000)?;
    Ok(add(base_impact_ratio, size_part)?.min(max_impact_ratio))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pyth_prices_scale_to_six_decimals_rounding_against_the_holder() {
        // 123.45678912 USD with expo -8 → 123.456789 (floor), conf 0.00000150 → 0.000002 (ceil).
        assert_eq!(scale_price_floor(12_345_678_912, -8), Ok(123_456_789));
        assert_eq!(scale_conf_ceil(150, -8), Ok(2));
        // expo -5 → multiply by 10.
        assert_eq!(scale_price_floor(1_234_567, -5), Ok(12_345_670));
        assert_eq!(scale_price_floor(-15, -7), Ok(-2));
        assert_eq!(scale_price_floor(1, 40), Err(MathError::Overflow));
    }

    #[test]
    fn longs_are_valued_at_the_low_edge_and_shorts_at_the_high_edge() {
        assert_eq!(valuation_price(5, 100_000_000, 50_000), Ok(99_950_000));
        assert_eq!(valuation_price(-5, 100_000_000, 50_000), Ok(100_050_000));
        assert_eq!(valuation_price(5, 10, 50), Ok(0));
    }

    #[test]
    fn execution_moves_against_the_trader() {
        // 0.1% impact on 100: buy at 100.1, sell at 99.9.
        assert_eq!(execution_price(1, 100_000_000, 1_000), Ok(100_100_000));
        assert_eq!(execution_price(-1, 100_000_000, 1_000), Ok(99_900_000));
        // Odd price: 33.333333 * 0.1% = 0.033333333 → buy rounds up to 33.366667, sell down to 33.3.
        assert_eq!(execution_price(1, 33_333_333, 1_000), Ok(33_366_667));
        assert_eq!(execution_price(-1, 33_333_333, 1_000), Ok(33_299_999));
    }

    #[test]
    fn impact_grows_with_size_up_to_a_cap() {
        // 0.05% base + 0.01% per $1M; $5M notional → 0.05% + 0.05% = 0.1%.
        assert_eq!(impact_ratio(5_000_000_000_000, 500, 100, 10_000), Ok(1_000));
        assert_eq!(impact_ratio(5_000_000_000_000_000, 500, 100, 10_000), Ok(10_000));
    }

    #[test]
    fn confidence_ratio_rounds_up() {
        assert_eq!(confidence_ratio(100_000_000, 50_000), Ok(500));
        assert_eq!(confidence_ratio(3, 1), Ok(333_334));
    }
}
