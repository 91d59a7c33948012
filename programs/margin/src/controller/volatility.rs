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
pub fn observe(
    state: VolatilityState,
    price: i128,
    publish_time: i64,
    lambda: i128,
    multiplier: i128,
    cap: i128,
) -> Result<VolatilityState, MarginError> {
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
    // The rise since the last observation runs towards the target that observation set, never
    // towards the one this observation sets: a rise starts when the estimate rose, so one refresh
    // after a quiet spell cannot jump the add-on, and refreshing often or rarely phases it in alike.
    let previous_target = volatility_addon_ratio(state.variance, multiplier, cap)?;
    let ceiling = state
        .addon
        .saturating_add(MAX_ADDON_RISE_PER_S.saturating_mul(i128::from(elapsed)))
        .min(previous_target.max(state.addon));
    Ok(VolatilityState { variance, last_price: price, last_publish_time: publish_time, addon: target.min(ceiling) })
}

#[cfg(test)]
mod tests {
    use super::*;

    const S0: VolatilityState = VolatilityState { variance: 0, last_price: 0, last_publish_time: 0, addon: 0 };
    const LAMBDA: i128 = 999_000;
    const MULT: i128 = 15_000_000;
    const CAP: i128 = 100_000;

    fn at(s: VolatilityState, price: i128, t: i64) -> VolatilityState {
        observe(s, price, t, LAMBDA, MULT, CAP).unwrap()
    }

    #[test]
    fn observations_must_be_newer_and_the_add_on_phases_in_from_the_rise() {
        let s1 = at(S0, 100_000_000, 10);
        assert_eq!((s1.variance, s1.addon), (0, 0));
        // 10% move in 1 s: r² = 1e10, × 0.001 = 1e7 → vol 3,163 → target add-on 47,445 (4.7%).
        // Nothing of it is in force at the observation that raised it.
        let s2 = at(s1, 110_000_000, 11);
        assert_eq!(s2.variance, 10_000_000);
        assert_eq!(volatility_addon_ratio(s2.variance, MULT, CAP), Ok(47_445));
        assert_eq!(s2.addon, 0);
        assert_eq!(observe(s2, 1, 11, LAMBDA, MULT, CAP), Err(MarginError::OracleNotUpdated));
        // A minute later 0.05 points per second have phased in.
        assert_eq!(at(s2, 110_000_000, 71).addon, 60 * MAX_ADDON_RISE_PER_S);
    }

    #[test]
    fn refreshing_often_or_rarely_phases_the_add_on_in_alike() {
        let spike = at(at(S0, 100_000_000, 10), 110_000_000, 11);
        let once = at(spike, 110_000_000, 71);
        let mut often = spike;
        for t in 12..=71 {
            often = at(often, 110_000_000, t);
        }
        assert_eq!(once.addon, often.addon);
        assert_eq!(once.addon, 30_000);
    }

    #[test]
    fn one_refresh_after_a_quiet_spell_cannot_jump_the_add_on() {
        // Quiet since t = 1; a single observation at a 10% spike 200 s later. Counting the quiet
        // time as phase-in credit would have put the whole ~4.5% target in force at once.
        let quiet = at(S0, 100_000_000, 1);
        let spike = at(quiet, 110_000_000, 201);
        assert!(volatility_addon_ratio(spike.variance, MULT, CAP).unwrap() > 0);
        assert_eq!(spike.addon, 0);
        assert_eq!(at(spike, 110_000_000, 211).addon, 10 * MAX_ADDON_RISE_PER_S);
    }

    #[test]
    fn refreshing_at_the_extremes_of_a_path_raises_the_add_on_only_at_the_phase_in_rate() {
        // ±10% every second, refreshed only at the extremes, for 10 s: the first observation
        // raises the target, the nine after it phase 0.05 points in each.
        let mut s = at(S0, 100_000_000, 100);
        for t in 1..=10 {
            let price = if t % 2 == 1 { 110_000_000 } else { 100_000_000 };
            s = at(s, price, 100 + t);
        }
        assert_eq!(s.addon, 9 * MAX_ADDON_RISE_PER_S);
    }

    #[test]
    fn the_add_on_falls_with_the_estimate() {
        let high =
            VolatilityState { variance: 10_000_000, last_price: 100_000_000, last_publish_time: 0, addon: 47_445 };
        // An hour at one price: 0.999^3600 ≈ 2.7% of the variance is left, √ of it ≈ 16% of the add-on.
        let later = at(high, 100_000_000, 3_600);
        assert!(later.addon < 47_445 / 5, "{}", later.addon);
    }
}
