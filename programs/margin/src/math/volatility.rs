//! EWMA volatility of oracle returns and the margin add-on it implies.

use super::checked::{add, div_ceil, mul, mul_div_ceil, sqrt_ceil, sub, MathResult};
use super::constants::RATIO_PRECISION;

/// |new − prev| / prev in RATIO_PRECISION, rounded up (a larger move is the safe side).
pub fn return_ratio_abs(prev_price: i128, new_price: i128) -> MathResult<i128> {
    mul_div_ceil(sub(new_price, prev_price)?.abs(), RATIO_PRECISION, prev_price)
}

/// Gaps longer than this count as this long: the old variance is then all but forgotten anyway.
pub const MAX_ELAPSED_S: i64 = 3_600;
/// One observation counts at most a 10% return per √second: no single print moves the estimate
/// without bound.
pub const MAX_RETURN_PER_SQRT_S: i128 = 100_000;

/// `λ^elapsed` in RATIO_PRECISION (λ per second), by squaring, each product rounded up (more of the
/// old variance kept). `elapsed` is clamped to `1..=MAX_ELAPSED_S`.
pub fn decay_factor(lambda: i128, elapsed_s: i64) -> MathResult<i128> {
    let mut e = elapsed_s.clamp(1, MAX_ELAPSED_S);
    let (mut base, mut acc) = (lambda, RATIO_PRECISION);
    while e > 0 {
        if e & 1 == 1 {
            acc = mul_div_ceil(acc, base, RATIO_PRECISION)?;
        }
        base = mul_div_ceil(base, base, RATIO_PRECISION)?;
        e >>= 1;
    }
    Ok(acc)
}

/// Folds one return observed `elapsed_s` after the previous one into the EWMA variance per second
/// (VARIANCE_PRECISION): `var' = d·var + (1 − d)·min(r²/Δt, cap²)` with `d = λ^Δt`, rounded up.
/// Time, not the number of observations, decays it: a hundred refreshes at one price forget no
/// more than one refresh after the same time.
pub fn ewma_variance_elapsed(prev_variance: i128, return_abs: i128, lambda: i128, elapsed_s: i64) -> MathResult<i128> {
    let elapsed = i128::from(elapsed_s.clamp(1, MAX_ELAPSED_S));
    let d = decay_factor(lambda, elapsed_s)?;
    let per_second =
        div_ceil(mul(return_abs, return_abs)?, elapsed)?.min(mul(MAX_RETURN_PER_SQRT_S, MAX_RETURN_PER_SQRT_S)?);
    div_ceil(add(mul(d, prev_variance)?, mul(sub(RATIO_PRECISION, d)?, per_second)?)?, RATIO_PRECISION)
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
        assert_eq!(ewma_variance_elapsed(0, r, 940_000, 1), Ok(6_000_000));
        // Volatility √6e6 = 2449.49 → 2450 (0.245%); add-on ×2 = 4900 (0.49%).
        assert_eq!(volatility(6_000_000), Ok(2_450));
        assert_eq!(volatility_addon_ratio(6_000_000, 2_000_000, 100_000), Ok(4_900));
        // The cap binds.
        assert_eq!(volatility_addon_ratio(6_000_000, 2_000_000, 3_000), Ok(3_000));
    }

    #[test]
    fn time_not_the_number_of_refreshes_decays_the_variance() {
        assert_eq!(decay_factor(940_000, 1), Ok(940_000));
        assert_eq!(decay_factor(940_000, 2), Ok(883_600));
        let once = ewma_variance_elapsed(6_000_000, 0, 940_000, 80).unwrap();
        let mut many = 6_000_000;
        for _ in 0..80 {
            many = ewma_variance_elapsed(many, 0, 940_000, 1).unwrap();
        }
        // Rounding up per step keeps a little more in the many-refresh path, never less.
        assert!(many >= once && many - once <= 80, "{many} vs {once}");
        // One observation after Δt weighs r²/Δt with weight 1 − λ^Δt: a 10% move over 4 s is a
        // per-second variance of 2.5e9, weighted 1 − 0.780749: 548,127,500.
        assert_eq!(decay_factor(940_000, 4), Ok(780_749));
        assert_eq!(ewma_variance_elapsed(0, 100_000, 940_000, 4), Ok(548_127_500));
        // A 50% print counts as 10%.
        assert_eq!(ewma_variance_elapsed(0, 500_000, 940_000, 1), ewma_variance_elapsed(0, 100_000, 940_000, 1));
    }

    #[test]
    fn variance_decays_without_moves() {
        let mut var = 6_000_000;
        for _ in 0..50 {
            var = ewma_variance_elapsed(var, 0, 940_000, 1).unwrap();
        }
        // 6e6 × 0.94^50 ≈ 2.7e5 (rounded up each step).
        assert!((270_000..=280_000).contains(&var), "{var}");
    }
}
