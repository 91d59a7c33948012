//! Folding a new oracle observation into a market's volatility estimate.

use crate::errors::MarginError;
use crate::math::volatility::{ewma_variance, return_ratio_abs, volatility_addon_ratio};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VolatilityState {
    pub variance: i128,
    pub last_price: i128,
    pub last_publish_time: i64,
}

/// The state after observing `price` at `publish_time`, and the add-on ratio it implies. The
/// first observation only records the price.
pub fn observe(
    state: VolatilityState,
    price: i128,
    publish_time: i64,
    lambda: i128,
    multiplier: i128,
    cap: i128,
) -> Result<(VolatilityState, i128), MarginError> {
    if publish_time <= state.last_publish_time {
        return Err(MarginError::OracleNotUpdated);
    }
    let variance = if state.last_price > 0 {
        ewma_variance(state.variance, return_ratio_abs(state.last_price, price)?, lambda)?
    } else {
        state.variance
    };
    let addon = volatility_addon_ratio(variance, multiplier, cap)?;
    Ok((VolatilityState { variance, last_price: price, last_publish_time: publish_time }, addon))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_must_be_newer_and_raise_the_add_on_after_a_move() {
        let s0 = VolatilityState { variance: 0, last_price: 0, last_publish_time: 0 };
        let (s1, a1) = observe(s0, 100_000_000, 10, 940_000, 2_000_000, 100_000).unwrap();
        assert_eq!((s1.variance, a1), (0, 0));
        let (s2, a2) = observe(s1, 110_000_000, 11, 940_000, 2_000_000, 100_000).unwrap();
        // 10% move: r² = 1e10, × 0.06 = 6e8 → vol 24,495 → add-on 48,990 (4.899%).
        assert_eq!(s2.variance, 600_000_000);
        assert_eq!(a2, 48_990);
        assert_eq!(observe(s2, 1, 11, 940_000, 2_000_000, 100_000), Err(MarginError::OracleNotUpdated));
    }
}
