//! Planning one liquidation step on a position of an account below maintenance.

use crate::controller::health::{Health, PricedPosition};
use crate::errors::MarginError;
use crate::math::checked::{div_floor, mul, MathResult};
use crate::math::constants::BASE_TO_QUOTE;
use crate::math::liquidation::{base_to_close, liquidation_fees, ClosingPosition};
use crate::math::oracle_price::{execution_price, impact_ratio};
use crate::math::position::notional;

use super::trade::ImpactParams;

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
