//! When an account may be flagged, liquidated or unflagged; planning one liquidation step on a
//! position of an account below maintenance; and the step itself on the plain account and market
//! structs, with the slot passed in (the `liquidate` handler only loads accounts, emits the records
//! and moves the fees).

use anchor_lang::prelude::Pubkey;

use crate::controller::fill::{apply_fill, Fill};
use crate::controller::health::{account_health, eligibility_health, Health, PricedPosition};
use crate::controller::trade::impact_params;
use crate::errors::MarginError;
use crate::math::checked::{div_floor, mul, to_i64, to_u64, MathResult};
use crate::math::constants::BASE_TO_QUOTE;
use crate::math::liquidation::shrink_fees;
use crate::math::liquidation::{base_to_close, liquidation_fees, ClosingPosition};
use crate::math::oracle_price::{execution_price, impact_ratio};
use crate::math::position::apply_trade;
use crate::math::position::notional;
use crate::state::{AccountStatus, MarginAccount, Market};

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
    let ratio = impact_ratio(
        notional(trade, price)?,
        impact.base_impact_ratio,
        impact.impact_ratio_per_million,
        impact.max_impact_ratio,
    )?;
    execution_price(trade, price, ratio)
}

/// How much of `pos` to close and at what price, given the account's `health`. The closing size
/// is sized with the impact of the largest slice (a conservative price), then executed at the
/// impact of the actual size, which can only be better.
pub fn plan_liquidation(
    health: &Health,
    pos: &PricedPosition,
    p: &LiquidationParams,
) -> Result<LiquidationPlan, MarginError> {
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
    let close_abs =
        base_to_close(health.equity, health.liquidation_end, &closing, max_close_abs, p.min_remainder_notional)?;
    if close_abs == 0 {
        return Err(MarginError::AccountHealthy);
    }
    let trade_base = if pos.base > 0 { -close_abs } else { close_abs };
    let closed_notional = notional(trade_base, pos.price)?;
    let (liquidator_fee, insurance_fee) =
        liquidation_fees(closed_notional, p.liquidator_fee_ratio, p.insurance_fee_ratio)?;
    Ok(LiquidationPlan {
        close_abs,
        trade_base,
        exec_price: closing_exec_price(pos.base, close_abs, pos.price, &p.impact)?,
        closed_notional,
        liquidator_fee,
        insurance_fee,
    })
}

/// The most the insurance fund pays a liquidator for a step on an underwater account, quote native
/// units ($10): closing an account with equity ≤ 0 earns no fee from it, yet someone must do it.
pub const MAX_UNDERWATER_BOUNTY: i128 = 10_000_000;

/// What the insurance fund pays the liquidator of a step: the part of the nominal liquidator fee
/// the account's equity after the close cannot pay, up to `MAX_UNDERWATER_BOUNTY` and what the fund
/// holds. Only an account that is underwater earns it: one whose collateral cannot pay the fee now
/// but whose other positions are in profit owes the fee itself, and the insurance fund pays nothing.
pub fn underwater_bounty(
    plan: &LiquidationPlan,
    equity_after_close: i128,
    insurance_balance: i128,
) -> MathResult<i128> {
    let (payable_from_equity, _) = shrink_fees(plan.liquidator_fee, plan.insurance_fee, equity_after_close)?;
    Ok((plan.liquidator_fee - payable_from_equity).min(MAX_UNDERWATER_BOUNTY).min(insurance_balance.max(0)).max(0))
}

/// What one liquidation step needs besides the account and the market: the position being closed
/// priced at its fresh oracle reading, every other open position priced, the limit, the id a new
/// liquidation would take, and the slot.
pub struct StepInput {
    pub market_key: Pubkey,
    pub target: PricedPosition,
    pub others: Vec<PricedPosition>,
    pub limit_price: i128,
    /// `exchange.liquidation_count + 1`: the id this step gives an unflagged account.
    pub next_liquidation_id: u64,
    pub slot: u64,
}

/// What the step did, for the records and the fee transfers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepOutcome {
    /// Set when this step flagged the account (it takes `next_liquidation_id`).
    pub flagged: bool,
    pub liquidation_id: u64,
    pub plan: LiquidationPlan,
    pub liquidator_fee: u64,
    pub insurance_fee: u64,
    /// Paid by the market's insurance fund when the account could not pay the liquidator's fee.
    pub bounty: u64,
    pub before: Health,
    pub after: Health,
    pub status: AccountStatus,
    pub fill: Fill,
}

/// One liquidation step: eligibility, the flag of an unflagged account, the plan, the limit check,
/// the fill, the fees (never more than the account's equity or its collateral after the close), the
/// market's statistics and the account's new status.
pub fn liquidation_step(
    account: &mut MarginAccount,
    market: &mut Market,
    input: StepInput,
) -> Result<StepOutcome, MarginError> {
    let index = account.position_index(&input.market_key).ok_or(MarginError::NoPosition)?;
    let mut positions = input.others;
    positions.push(input.target.clone());
    let before = account_health(i128::from(account.collateral), &positions)?;
    if !liquidation_eligible(&eligibility_health(i128::from(account.collateral), &positions)?, account.status()) {
        return Err(MarginError::AccountHealthy);
    }
    let flagged = account.status() != AccountStatus::BeingLiquidated;
    if flagged {
        account.liquidation_id = input.next_liquidation_id;
        account.set_status(AccountStatus::BeingLiquidated);
    }

    let params = LiquidationParams {
        impact: impact_params(market),
        liquidator_fee_ratio: i128::from(market.liquidator_fee_ratio),
        insurance_fee_ratio: i128::from(market.insurance_fee_ratio),
        max_liquidation_notional: i128::from(market.max_liquidation_notional),
        min_remainder_notional: i128::from(market.min_remainder_notional),
    };
    let target = &input.target;
    let plan = plan_liquidation(&before, target, &params)?;
    let past_limit =
        if plan.trade_base < 0 { plan.exec_price < input.limit_price } else { plan.exec_price > input.limit_price };
    if past_limit {
        return Err(MarginError::LimitPriceExceeded);
    }

    let result = apply_trade(target.base, target.quote_entry, plan.trade_base, plan.exec_price)?;
    let fill = apply_fill(account, index, market, input.market_key, target.base, &result)?;
    let last = positions.len() - 1;
    positions[last].base = result.base;
    positions[last].quote_entry = result.quote_entry;
    if result.base == 0 {
        positions.pop();
    }
    let after_close = account_health(i128::from(account.collateral), &positions)?;
    let payable = after_close.equity.min(i128::from(account.collateral));
    let (liquidator_fee, insurance_fee) = shrink_fees(plan.liquidator_fee, plan.insurance_fee, payable)?;
    account.collateral =
        account.collateral.checked_sub(to_i64(liquidator_fee + insurance_fee)?).ok_or(MarginError::MathOverflow)?;
    market.insurance_balance =
        market.insurance_balance.checked_add(to_i64(insurance_fee)?).ok_or(MarginError::MathOverflow)?;
    let bounty = underwater_bounty(&plan, after_close.equity, i128::from(market.insurance_balance))?;
    market.insurance_balance =
        market.insurance_balance.checked_sub(to_i64(bounty)?).ok_or(MarginError::MathOverflow)?;
    market.total_liquidations = market.total_liquidations.saturating_add(1);
    market.total_liquidated_notional = market.total_liquidated_notional.saturating_add(to_u64(plan.closed_notional)?);
    market.total_liquidation_fees =
        market.total_liquidation_fees.saturating_add(to_u64(liquidator_fee + insurance_fee)?);

    let after = account_health(i128::from(account.collateral), &positions)?;
    let status = if account.open_positions().next().is_none() && account.collateral < 0 {
        AccountStatus::Bankrupt
    } else if !eligibility_health(i128::from(account.collateral), &positions)?.below_liquidation_end() {
        AccountStatus::Healthy
    } else {
        AccountStatus::BeingLiquidated
    };
    account.set_status(status);
    account.last_active_slot = input.slot;
    Ok(StepOutcome {
        flagged,
        liquidation_id: account.liquidation_id,
        plan,
        liquidator_fee: to_u64(liquidator_fee)?,
        insurance_fee: to_u64(insurance_fee)?,
        bounty: to_u64(bounty)?,
        before,
        after,
        status,
        fill,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn health(equity: i128) -> Health {
        Health { equity, initial: 300, maintenance: 100, liquidation_end: 150 }
    }

    use crate::controller::health::MarketRisk;
    use crate::math::position::apply_trade;
    use crate::state::{MarketParams, Position};

    const USD: i128 = 1_000_000;
    const ONE: i128 = 1_000_000_000;

    /// A market with the example parameters and a $1M pool, and an account with $1,000 long
    /// 90 SOL bought at $100, all as the plain structs the step works on.
    fn fixture() -> (MarginAccount, Market, Pubkey) {
        let key = Pubkey::new_from_array([7; 32]);
        let mut market: Market = bytemuck::Zeroable::zeroed();
        market.apply_params(&MarketParams::example(Pubkey::new_from_array([1; 32]), [2; 32]));
        market.pool_balance = 1_000_000 * USD as i64;
        let mut account: MarginAccount = bytemuck::Zeroable::zeroed();
        let opened = apply_trade(0, 0, 90 * ONE, 100 * USD).unwrap();
        account.positions[0] =
            Position { market: key, base: opened.base as i64, quote_entry: opened.quote_entry as i64 };
        account.collateral = 1_000 * USD as i64;
        market.long_open_interest = 90 * ONE as u64;
        market.quote_entry_sum_long = opened.quote_entry as i64;
        (account, market, key)
    }

    fn input(account: &MarginAccount, market: &Market, key: Pubkey, price: i128, limit_price: i128) -> StepInput {
        let p = &account.positions[0];
        StepInput {
            market_key: key,
            target: PricedPosition::new(
                i128::from(p.base),
                i128::from(p.quote_entry),
                price,
                USD / 100,
                MarketRisk {
                    tiers: market.tiers(),
                    addon_ratio: 0,
                    buffer_ratio: i128::from(market.liquidation_buffer_ratio),
                },
            ),
            others: vec![],
            limit_price,
            next_liquidation_id: 5,
            slot: 42,
        }
    }

    #[test]
    fn a_step_flags_closes_just_enough_pays_fees_from_what_is_left_and_returns_the_account_to_healthy() {
        let (mut account, mut market, key) = fixture();
        let out = {
            let i = input(&account, &market, key, 93_500_000, 0);
            liquidation_step(&mut account, &mut market, i)
        }
        .unwrap();
        assert!(out.flagged && out.liquidation_id == 5 && account.liquidation_id == 5);
        assert!(out.plan.trade_base < 0 && out.plan.trade_base > -90 * ONE);
        assert_eq!(out.status, AccountStatus::Healthy);
        assert!(!out.after.below_liquidation_end() && out.before.below_maintenance());
        assert!(out.liquidator_fee > 0 && out.insurance_fee > 0);
        assert_eq!(market.insurance_balance as u64, out.insurance_fee);
        assert_eq!(market.total_liquidations, 1);
        assert_eq!((account.last_active_slot, account.status()), (42, AccountStatus::Healthy));
        // The open interest follows the close; the pool received the realized loss.
        assert_eq!(i128::from(market.long_open_interest), 90 * ONE + out.plan.trade_base);
        assert!(market.pool_balance > 1_000_000 * USD as i64);
    }

    #[test]
    fn an_underwater_step_pays_the_liquidator_a_bounded_bounty_from_insurance() {
        let (mut account, mut market, key) = fixture();
        market.insurance_balance = 1_000 * USD as i64;
        let out = {
            let i = input(&account, &market, key, 85 * USD, 0);
            liquidation_step(&mut account, &mut market, i)
        }
        .unwrap();
        // The nominal fee on $7,650 is $38.25; the account pays none of it; insurance pays $10.
        assert_eq!((out.liquidator_fee, out.bounty), (0, MAX_UNDERWATER_BOUNTY as u64));
        assert_eq!(market.insurance_balance, 990 * USD as i64);
    }

    #[test]
    fn a_step_is_refused_for_a_healthy_account_past_its_limit_or_without_a_position() {
        let (mut account, mut market, key) = fixture();
        assert_eq!(
            {
                let i = input(&account, &market, key, 100 * USD, 0);
                liquidation_step(&mut account, &mut market, i)
            }
            .unwrap_err(),
            MarginError::AccountHealthy
        );
        assert_eq!(
            {
                let i = input(&account, &market, key, 93_500_000, 93_500_000);
                liquidation_step(&mut account, &mut market, i)
            }
            .unwrap_err(),
            MarginError::LimitPriceExceeded
        );
        let mut elsewhere = input(&account, &market, key, 93_500_000, 0);
        elsewhere.market_key = Pubkey::new_from_array([9; 32]);
        assert_eq!(liquidation_step(&mut account, &mut market, elsewhere).unwrap_err(), MarginError::NoPosition);
    }

    #[test]
    fn a_crash_closes_everything_records_the_shortfall_and_leaves_the_account_bankrupt() {
        let (mut account, mut market, key) = fixture();
        let pool = market.pool_balance;
        let out = {
            let i = input(&account, &market, key, 85 * USD, 0);
            liquidation_step(&mut account, &mut market, i)
        }
        .unwrap();
        assert_eq!(out.plan.trade_base, -90 * ONE);
        assert_eq!((out.liquidator_fee, out.insurance_fee, out.status), (0, 0, AccountStatus::Bankrupt));
        // No insurance in this market: no bounty either.
        assert_eq!(out.bounty, 0);
        // The pool got the $1,000 the account held; the rest of the loss is the account's shortfall.
        assert_eq!(market.pool_balance, pool + 1_000 * USD as i64);
        assert_eq!(account.deficit_record(), vec![(0, account.deficit() as u64)]);
    }

    #[test]
    fn flagging_and_liquidating_start_below_maintenance_and_continue_to_the_end_level() {
        use AccountStatus::*;
        assert!(flag_eligible(&health(99), Healthy) && !flag_eligible(&health(100), Healthy));
        assert!(!flag_eligible(&health(0), BeingLiquidated) && !flag_eligible(&health(0), Bankrupt));
        assert!(liquidation_eligible(&health(99), Healthy) && !liquidation_eligible(&health(100), Healthy));
        assert!(
            liquidation_eligible(&health(149), BeingLiquidated) && !liquidation_eligible(&health(150), BeingLiquidated)
        );
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
