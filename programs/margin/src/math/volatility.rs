//! EWMA volatility of oracle returns and the margin add-on it implies.

use super::checked::{add, div_ceil, mul, mul_div_ceil, sqrt_ceil, sub, MathResult};
use super::constants::RATIO_PRECISION;

/// |new − prev| / prev in RATIO_PRECISION, rounded up (a larger move is the safe side).
pub fn return_ratio_abs(prev_price: i128, new_price: i128) -> MathResult<i128> {
    mul_div_ceil(sub(new_price, prev_price)?.abs(), RATIO_PRECISION, prev_price)
}

/// Folds one return into the EWMA variance (VARIANCE_PRECISION):
/// `var' = λ·var + (1 − λ)·r²`, λ in RATIO_PRECISION, rounded up.
pub fn ewma_variance(prev_variance: i128, return_abs: i128, lambda: i128) -> MathResult<i128> {
    let kept = mul(lambda, prev_variance)?;
    let fresh = mul(sub(RATIO_PRECISION, lambda)?, mul(return_abs, return_abs)?)?;
    div_ceil(add(kept, fresh)?, RATIO_PRECISION)
}

/// Volatility (standard deviation of returns) in RATIO_PRECISION, rounded up.
pub fn volatility(variance: i128) -> MathResult<i128> {
    sqrt_ceil(variance)
}

/// The margin add-on ratio: `multiplier × volatility`, rounded up, capped at `cap`.
pub fn volatility_addon_ratio(variance: i128, multiplier: i128, cap: i128) -> MathResult<i128> {
    Ok(mul_div_ceil(volatility(variance)?, multiplier, RATIO_PRECISION)?.min(cap))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_one_percent_move_adds_to_variance_by_one_minus_lambda() {
        // 100 → 101 is a 1% return (10_000); r² = 1e8; λ = 0.94: var' = 0.06 × 1e8 = 6e6.
        let r = return_ratio_abs(100_000_000, 101_000_000).unwrap();
        assert_eq!(r, 10_000);
        assert_eq!(ewma_variance(0, r, 940_000), Ok(6_000_000));
        // Volatility √6e6 = 2449.49 → 2450 (0.245%); add-on ×2 = 4900 (0.49%).
        assert_eq!(volatility(6_000_000), Ok(2_450));
        assert_eq!(volatility_addon_ratio(6_000_000, 2_000_000, 100_000), Ok(4_900));
        // The cap binds.
        assert_eq!(volatility_addon_ratio(6_000_000, 2_000_000, 3_000), Ok(3_000));
    }

    #[test]
    fn variance_decays_without_moves() {
        let mut var = 6_000_000;
        for _ in 0..50 {
            var = ewma_variance(var, 0, 940_000).unwrap();
        }
        // 6e6 × 0.94^50 ≈ 2.7e5 (rounded up each step).
        assert!((270_000..=280_000).contains(&var), "{var}");
    }
}
