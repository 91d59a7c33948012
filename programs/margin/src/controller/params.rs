//! Validation of market parameters: the numbers must keep liquidation safe and orderly.

use crate::errors::MarginError;
use crate::math::constants::RATIO_PRECISION;
use crate::math::margin::validate_tiers;
use crate::state::{math_tiers, MarketParams, MAX_TIERS};

/// The longest an oracle price may be trusted for any action, seconds.
pub const MAX_ORACLE_AGE_S: u32 = 600;

/// The fastest the volatility estimate may forget, per second (RATIO_PRECISION): λ ≥ 0.99 is a
/// half-life of at least ~69 s, so a crash's add-on outlasts the liquidations it is for.
pub const MIN_EWMA_LAMBDA: i128 = 990_000;

/// Why these parameters are unusable, if they are (as a message for the log).
pub fn validate(p: &MarketParams) -> Result<(), &'static str> {
    if p.tiers.is_empty() || p.tiers.len() > MAX_TIERS {
        return Err("1 to 16 margin tiers");
    }
    let fees = i128::from(p.liquidator_fee_ratio) + i128::from(p.insurance_fee_ratio);
    // Closing must always raise health: the smallest maintenance ratio has to pay for the fees,
    // the worst impact and the widest confidence a liquidation accepts.
    let floor = fees + i128::from(p.max_impact_ratio) + i128::from(p.max_conf_ratio_liquidate);
    let tiers = math_tiers(p.tiers.iter().map(|t| (t.notional_upper, t.initial_ratio, t.maintenance_ratio)));
    validate_tiers(&tiers, floor + 1)?;
    // Liquidation must stop below the level an opening needs, in every tier: otherwise an account
    // liquidated back to its end level could not trade again, or a tier would have no buffer at all.
    let narrowest_gap = tiers.iter().map(|t| t.initial_ratio - t.maintenance_ratio).min().unwrap_or(0);
    if p.liquidation_buffer_ratio == 0 || i128::from(p.liquidation_buffer_ratio) >= narrowest_gap {
        return Err("liquidation buffer must be positive and below every tier's initial-maintenance gap");
    }
    if p.max_oracle_age_open_s == 0
        || p.max_oracle_age_open_s > p.max_oracle_age_liquidate_s
        || p.max_oracle_age_liquidate_s > MAX_ORACLE_AGE_S
    {
        return Err("oracle age limits: 0 < open <= liquidate <= 600 s");
    }
    if p.max_conf_ratio_open == 0 || p.max_conf_ratio_open > p.max_conf_ratio_liquidate {
        return Err("confidence limits: 0 < open <= liquidate");
    }
    if p.base_impact_ratio > p.max_impact_ratio || i128::from(p.max_impact_ratio) >= RATIO_PRECISION / 10 {
        return Err("impact: base <= max < 10%");
    }
    if p.max_liquidation_notional == 0 || p.max_open_interest_base == 0 {
        return Err("liquidation slice and open-interest cap must be positive");
    }
    if p.min_remainder_notional >= p.max_liquidation_notional {
        return Err("the remainder closed in full must be below one liquidation slice");
    }
    if i128::from(p.ewma_lambda) < MIN_EWMA_LAMBDA || i128::from(p.ewma_lambda) >= RATIO_PRECISION {
        return Err("EWMA lambda per second must be in [0.99, 1): a half-life of at least ~69 s");
    }
    if i128::from(p.vol_addon_cap) > RATIO_PRECISION / 2 {
        return Err("volatility add-on cap must be at most 50%");
    }
    Ok(())
}

pub fn validate_or_error(p: &MarketParams) -> Result<(), MarginError> {
    validate(p).map_err(|why| {
        anchor_lang::prelude::msg!("invalid market parameters: {}", why);
        MarginError::InvalidMarketParams
    })
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::state::TierParams;
    use anchor_lang::prelude::Pubkey;

    fn sample() -> MarketParams {
        MarketParams::example(Pubkey::new_from_array([1; 32]), [2; 32])
    }

    #[test]
    fn sample_parameters_are_valid() {
        assert_eq!(validate(&sample()), Ok(()));
    }

    #[test]
    fn unsafe_parameters_are_refused() {
        let mut p = sample();
        p.liquidator_fee_ratio = 30_000; // fees + impact + confidence above 5% maintenance
        assert!(validate(&p).is_err());
        let mut p = sample();
        p.tiers[1].maintenance_ratio = 40_000;
        assert!(validate(&p).is_err());
        let mut p = sample();
        p.max_conf_ratio_open = 30_000;
        assert!(validate(&p).is_err());
        let mut p = sample();
        p.liquidation_buffer_ratio = 0;
        assert!(validate(&p).is_err());
        let mut p = sample();
        p.ewma_lambda = 1_000_000;
        assert!(validate(&p).is_err());
        let mut p = sample();
        p.ewma_lambda = 940_000;
        assert!(validate(&p).is_err(), "an 11 s half-life forgets a crash within a minute");
        let mut p = sample();
        p.tiers.clear();
        assert!(validate(&p).is_err());
    }

    /// Ten brackets up to $500M as exchanges publish them, then sixteen; seventeen is refused.
    fn brackets(n: usize) -> Vec<TierParams> {
        (0..n)
            .map(|k| TierParams {
                notional_upper: 50_000_000_000u64 << k,
                initial_ratio: 20_000 + 20_000 * k as u32,
                maintenance_ratio: 10_000 + 10_000 * k as u32,
            })
            .collect()
    }

    #[test]
    fn sixteen_continuous_tiers_are_accepted_and_the_buffer_checked_against_each() {
        let mut p = sample();
        p.liquidator_fee_ratio = 1_000;
        p.insurance_fee_ratio = 500;
        p.max_impact_ratio = 1_000;
        p.base_impact_ratio = 100;
        p.max_conf_ratio_liquidate = 5_000;
        p.max_conf_ratio_open = 2_500;
        p.liquidation_buffer_ratio = 5_000;
        p.tiers = brackets(10);
        assert_eq!(validate(&p), Ok(()));
        p.tiers = brackets(16);
        assert_eq!(validate(&p), Ok(()));
        p.tiers = brackets(17);
        assert_eq!(validate(&p), Err("1 to 16 margin tiers"));
        // A buffer that fits the first tier's gap (1%) but not a later, narrower one.
        p.tiers = brackets(3);
        p.tiers[2].maintenance_ratio = p.tiers[2].initial_ratio - 4_000;
        assert!(validate(&p).unwrap_err().contains("every tier"));
    }

    #[test]
    fn oracle_ages_and_the_remainder_floor_are_bounded() {
        let mut p = sample();
        p.max_oracle_age_liquidate_s = 601;
        assert!(validate(&p).is_err());
        let mut p = sample();
        p.min_remainder_notional = p.max_liquidation_notional;
        assert!(validate(&p).is_err());
    }
}
