//! When an account may be flagged, liquidated or unflagged, and planning one liquidation step on a
//! position of an account below maintenance.

use crate::controller::health::{Health, PricedPosition};
use crate::errors::MarginError;
use crate::math::checked::{div_floor, mul, MathResult};
use crate::math::constants::BASE_TO_QUOTE;
use crate::math::liquidation::{base_to_close, liquidation_fees, ClosingPosition};
use crate::math::oracle_price::{execution_price, impact_ratio};
use crate::math::position::notional;
use crate::state::AccountStatus;

use super::trade::ImpactParams;

/// `flag_account` may flag a healthy-status account whose equity is below maintenance.
pub fn flag_eligible(health: &Health, status: AccountStatus) -> bool {
    status == AccountStatus::Healthy && health.below_maintenance()
}

/// `liquidate` may act below maintenance (an unflagged account is flagged by the same step), or on
/// a flagged account still below its liquidation-end level. A bankrupt account awaits resolution.
pub fn liquidation_eligible(health: &Health, status: AccountStatus) -> bool {
    match status {
        AccountStatus::Healthy => health.below_maintenance(),
        AccountStatus::BeingLiquidated => health.below_liquidation_end(),
        AccountStatus::Bankrupt => false,
    }
}

/// A flagged account leaves liquidation once it is back at or above its liquidation-end level
/// (its owner reduced, deposited, or the price recovered). With no positions left, that level is
/// zero, so an empty account with collateral ≥ 0 qualifies too.
pub fn unflag_eligible(health: &Health, status: AccountStatus) -> bool {
    status == AccountStatus::BeingLiquidated && !health.below_liquidation_end()
}

/// A bankrupt account (no positions, negative collateral) whose owner deposited enough to cover the
/// deficit has nothing left to resolve.
pub fn bankruptcy_cleared(collateral: i128, status: AccountStatus, has_positions: bool) -> bool {
    status == AccountStatus::Bankrupt && !has_positions && collateral >= 0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiquidationParams {
    pub impact: ImpactParams,
    pub liquidator_fee_ratio: i128,
    pub insurance_fee_ratio: i128,
    pub max_liquidation_notional: i128,
    pub min_remainder_notional: i128,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiquidationPlan {
    /// Base units to close (positive).
    pub close_abs: i128,
    /// The closing trade, signed.
    pub trade_base: i128,
    pub exec_price: i128,
    pub closed_notional: i128,
    /// Nominal fees before shrinkage.
    pub liquidator_fee: i128,
    pub insurance_fee: i128,
}

fn closing_exec_price(base: i128, close_abs: i128, price: i128, impact: &ImpactParams) -> MathResult<i128> {
    let trade = if base > 0 { -close_abs } else { close_abs };
    let ratio = impact_ratio(notional(trade, price)?, impact.base_impact_ratio, impact.impact_ratio_per_million, impact.max_impact_ratio)?;
    execution_price(trade, price, ratio)
}

/// How much of `pos` to close and at what price, given the account's `health`. The closing size
/// is sized with the impact of the largest slice (a conservative price), then executed at the
/// impact of the actual size, which can only be better.
pub fn plan_liquidation(health: &Health, pos: &PricedPosition, p: &LiquidationParams) -> Result<LiquidationPlan, MarginError> {
    if pos.base == 0 {
        return Err(MarginError::NoPosition);
    }
    let max_close_abs = div_floor(mul(p.max_liquidation_notional, BASE_TO_QUOTE)?, pos.price)?.max(1);
    let worst_slice = pos.base.abs().min(max_close_abs);
    let closing = ClosingPosition {
        base: pos.base,
        oracle_price: pos.price,
        conf: pos.conf,
        exec_price: closing_exec_price(pos.base, worst_slice, pos.price, &p.impact)?,
        tiers: &pos.risk.tiers,
        addon_ratio: pos.risk.addon_ratio,
        buffer_ratio: pos.risk.buffer_ratio,
        liquidator_fee_ratio: p.liquidator_fee_ratio,
        insurance_fee_ratio: p.insurance_fee_ratio,
    };
    let close_abs = base_to_close(health.equity, health.liquidation_end, &closing, max_close_abs, p.min_remainder_notional)?;
    if close_abs == 0 {
        return Err(MarginError::AccountHealthy);
    }
    let trade_base = if pos.base > 0 { -close_abs } else { close_abs };
    let closed_notional = notional(trade_base, pos.price)?;
    let (liquidator_fee, insurance_fee) = liquidation_fees(closed_notional, p.liquidator_fee_ratio, p.insurance_fee_ratio)?;
    Ok(LiquidationPlan {
        close_abs,
        trade_base,
        exec_price: closing_exec_price(pos.base, close_abs, pos.price, &p.impact)?,
        closed_notional,
        liquidator_fee,
        insurance_fee,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn health(equity: i128) -> Health {
        Health { equity, initial: 300, maintenance: 100, liquidation_end: 150 }
    }

    #[test]
    fn flagging_and_liquidating_start_below_maintenance_and_continue_to_the_end_level() {
        use AccountStatus::*;
        assert!(flag_eligible(&health(99), Healthy) && !flag_eligible(&health(100), Healthy));
        assert!(!flag_eligible(&health(0), BeingLiquidated) && !flag_eligible(&health(0), Bankrupt));
        assert!(liquidation_eligible(&health(99), Healthy) && !liquidation_eligible(&health(100), Healthy));
        assert!(liquidation_eligible(&health(149), BeingLiquidated) && !liquidation_eligible(&health(150), BeingLiquidated));
        assert!(!liquidation_eligible(&health(-5), Bankrupt));
    }

    #[test]
    fn a_flag_clears_at_the_end_level_and_a_covered_bankruptcy_clears() {
        use AccountStatus::*;
        assert!(!unflag_eligible(&health(149), BeingLiquidated) && unflag_eligible(&health(150), BeingLiquidated));
        assert!(!unflag_eligible(&health(1_000), Healthy) && !unflag_eligible(&health(1_000), Bankrupt));
        let empty = Health::default();
        assert!(unflag_eligible(&empty, BeingLiquidated));
        assert!(bankruptcy_cleared(0, Bankrupt, false) && !bankruptcy_cleared(-1, Bankrupt, false));
        assert!(!bankruptcy_cleared(10, Bankrupt, true) && !bankruptcy_cleared(10, Healthy, false));
    }
}
