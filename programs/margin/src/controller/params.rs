//! Validation of market parameters: the numbers must keep liquidation safe and orderly.

use crate::errors::MarginError;
use crate::math::constants::RATIO_PRECISION;
use crate::math::margin::validate_tiers;
use crate::state::{math_tiers, MarketParams, MAX_TIERS};

/// Why these parameters are unusable, if they are (as a message for the log).
pub fn validate(p: &MarketParams) -> Result<(), &'static str> {
    if p.tiers.is_empty() || p.tiers.len() > MAX_TIERS {
        return Err("1 to 4 margin tiers");
    }
    let fees = i128::from(p.liquidator_fee_ratio) + i128::from(p.insurance_fee_ratio);
    // Closing must always raise health: the smallest maintenance ratio has to pay for the fees,
    // the worst impact and the widest confidence a liquidation accepts.
    let floor = fees + i128::from(p.max_impact_ratio) + i128::from(p.max_conf_ratio_liquidate);
    let tiers = math_tiers(p.tiers.iter().map(|t| (t.notional_upper, t.initial_ratio, t.maintenance_ratio)));
    validate_tiers(&tiers, floor + 1)?;
    if p.liquidation_buffer_ratio == 0 || i128::from(p.liquidation_buffer_ratio) >= tiers[0].initial_ratio - tiers[0].maintenance_ratio {
        return Err("liquidation buffer must be positive and below the initial-maintenance gap");
    }
    if p.max_oracle_age_open_s == 0 || p.max_oracle_age_open_s > p.max_oracle_age_liquidate_s {
        return Err("oracle age limits: 0 < open <= liquidate");
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
    if p.ewma_lambda == 0 || i128::from(p.ewma_lambda) >= RATIO_PRECISION {
        return Err("EWMA lambda must be in (0, 1)");
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
        p.tiers.clear();
        assert!(validate(&p).is_err());
    }
}
