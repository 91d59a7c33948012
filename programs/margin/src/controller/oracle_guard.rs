//! Whether an oracle reading is fresh and certain enough for an action.

use crate::errors::MarginError;
use crate::math::oracle_price::confidence_ratio;
use crate::state::OracleReading;

/// Limits for one class of action: opening and withdrawing use the strict pair, liquidating and
/// reducing the lenient one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OracleLimits {
    pub max_age_s: i64,
    pub max_conf_ratio: i128,
}

/// How far a publish time may run ahead of the cluster clock (which lags wall time by up to a slot
/// or two, and by a few seconds on a drifting cluster). Further ahead is refused: such a price would
/// count as fresh for longer than it is, and once recorded it would block every later refresh.
pub const MAX_PUBLISH_AHEAD_S: i64 = 5;

pub fn check(reading: &OracleReading, now: i64, limits: OracleLimits) -> Result<(), MarginError> {
    if reading.publish_time > now.saturating_add(MAX_PUBLISH_AHEAD_S) {
        return Err(MarginError::OracleFromFuture);
    }
    let age = now.saturating_sub(reading.publish_time);
    if age > limits.max_age_s {
        return Err(MarginError::StaleOracle);
    }
    let ratio = confidence_ratio(reading.price, reading.conf).map_err(|_| MarginError::InvalidOraclePrice)?;
    if ratio > limits.max_conf_ratio {
        return Err(MarginError::OracleTooUncertain);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: OracleLimits = OracleLimits { max_age_s: 30, max_conf_ratio: 10_000 };

    #[test]
    fn accepts_fresh_and_certain_prices_only() {
        let r = OracleReading { price: 100_000_000, conf: 1_000_000, publish_time: 1_000 };
        assert_eq!(check(&r, 1_030, LIMITS), Ok(()));
        assert_eq!(check(&r, 1_031, LIMITS), Err(MarginError::StaleOracle));
        // 1% confidence is the limit; 1.000001% is not.
        let wide = OracleReading { conf: 1_000_001, ..r };
        assert_eq!(check(&wide, 1_000, LIMITS), Err(MarginError::OracleTooUncertain));
        // A publish time a little ahead of the clock is accepted; further ahead is refused.
        assert_eq!(check(&r, 995, LIMITS), Ok(()));
        assert_eq!(check(&r, 994, LIMITS), Err(MarginError::OracleFromFuture));
        assert_eq!(check(&r, 900, LIMITS), Err(MarginError::OracleFromFuture));
    }
}
