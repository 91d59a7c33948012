//! Folding a new oracle observation into a market's volatility estimate. The estimate is a
//! function of elapsed time (λ per second, returns scaled by √Δt, one print bounded), and the
//! add-on it implies rises at a bounded rate, so nobody steers requirements by choosing when to
//! refresh: not down by refreshing often, not up by refreshing only at a path's extremes.

use crate::errors::MarginError;
use crate::math::volatility::{ewma_variance_elapsed, return_ratio_abs, volatility_addon_ratio};

/// Observations at least this far apart (their publish times), seconds.
pub const MIN_OBSERVATION_INTERVAL_S: i64 = 1;
/// The add-on rises by at most 0.05 percentage points per second (RATIO_PRECISION): 10% takes
/// 200 s, long enough for an owner to answer. It falls as fast as the estimate does.
pub const MAX_ADDON_RISE_PER_S: i128 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VolatilityState {
    pub variance: i128,
    pub last_price: i128,
    pub last_publish_time: i64,
    /// The add-on in force.
    pub addon: i128,
}

/// The state after observing `price` at `publish_time`. The first observation only records the
/// price.
pub fn observe(state: VolatilityState, price: i128, publish_time: i64, lambda: i128, multiplier: i128, cap: i128) -> Result<VolatilityState, MarginError> {
    let elapsed = publish_time.saturating_sub(state.last_publish_time);
    if elapsed < MIN_OBSERVATION_INTERVAL_S {
        return Err(MarginError::OracleNotUpdated);
    }
    let variance = if state.last_price > 0 {
        ewma_variance_elapsed(state.variance, return_ratio_abs(state.last_price, price)?, lambda, elapsed)?
    } else {
        state.variance
    };
    let target = volatility_addon_ratio(variance, multiplier, cap)?;
    let ceiling = state.addon.saturating_add(MAX_ADDON_RISE_PER_S.saturating_mul(i128::from(elapsed)));
    Ok(VolatilityState { variance, last_price: price, last_publish_time: publish_time, addon: target.min(ceiling) })
}

#[cfg(test)]
mod tests {
    use super::*;

    const S0: VolatilityState = VolatilityState { variance: 0, last_price: 0, last_publish_time: 0, addon: 0 };

    #[test]
    fn observations_must_be_newer_and_the_add_on_phases_in() {
        let s1 = observe(S0, 100_000_000, 10, 940_000, 2_000_000, 100_000).unwrap();
        assert_eq!((s1.variance, s1.addon), (0, 0));
        let s2 = observe(s1, 110_000_000, 11, 940_000, 2_000_000, 100_000).unwrap();
        // 10% move in 1 s: r² = 1e10, × 0.06 = 6e8 → vol 24,495 → target add-on 48,990 (4.899%),
        // of which 0.05 points arrive in the first second.
        assert_eq!(s2.variance, 600_000_000);
        assert_eq!(s2.addon, 500);
        assert_eq!(observe(s2, 1, 11, 940_000, 2_000_000, 100_000), Err(MarginError::OracleNotUpdated));
        // A minute later at the same price the target has decayed but is still above what phased in.
        let s3 = observe(s2, 110_000_000, 71, 940_000, 2_000_000, 100_000).unwrap();
        assert!(s3.addon > 500 && s3.addon <= 500 + 60 * MAX_ADDON_RISE_PER_S);
    }

    #[test]
    fn refreshing_at_the_extremes_of_a_path_raises_the_add_on_only_at_the_phase_in_rate() {
        // ±10% every second, refreshed only at the extremes, for 10 s.
        let mut s = observe(S0, 100_000_000, 100, 940_000, 2_000_000, 100_000).unwrap();
        for t in 1..=10 {
            let price = if t % 2 == 1 { 110_000_000 } else { 100_000_000 };
            s = observe(s, price, 100 + t, 940_000, 2_000_000, 100_000).unwrap();
        }
        assert_eq!(s.addon, 10 * MAX_ADDON_RISE_PER_S);
    }

    #[test]
    fn the_add_on_falls_with_the_estimate() {
        let high = VolatilityState { variance: 600_000_000, last_price: 100_000_000, last_publish_time: 0, addon: 48_990 };
        let later = observe(high, 100_000_000, 30, 940_000, 2_000_000, 100_000).unwrap();
        assert!(later.addon < 48_990 / 2, "{}", later.addon);
    }
}
