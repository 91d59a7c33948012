use super::*;
use crate::math::margin::Tier;
use crate::math::oracle_price::execution_price;

const ONE: i128 = 1_000_000_000;
const USD: i128 = 1_000_000;

/// One tier, 10% initial / 5% maintenance.
const TIERS: [Tier; 1] = [Tier { notional_upper: i128::MAX, initial_ratio: 100_000, maintenance_ratio: 50_000 }];

fn sol_long(base: i128, oracle: i128) -> ClosingPosition<'static> {
    ClosingPosition {
        base,
        oracle_price: oracle,
        conf: 0,
        exec_price: execution_price(-base, oracle, 1_000).unwrap(), // 0.1% impact
        tiers: &TIERS,
        addon_ratio: 0,
        buffer_ratio: 10_000,        // 1% buffer: liquidation-end at 6%
        liquidator_fee_ratio: 5_000, // 0.5%
        insurance_fee_ratio: 2_500,  // 0.25%
    }
}

#[test]
fn closes_just_enough_to_reach_the_liquidation_end_level() {
    // Long 100 SOL bought at $100 with $1,000 collateral; the price falls to $95.
    // Equity = 1000 + 100 × (95 − 100) = 500; maintenance 5% × 9500 = 475; end 6% × 9500 = 570.
    let pos = sol_long(100 * ONE, 95 * USD);
    let equity = 500 * USD;
    let end = 570 * USD;
    assert!(health_after_close(equity, end, &pos, 0).unwrap() < 0);
    // Closing x SOL: requirement drops 6% × 95 = 5.7/SOL, impact costs 0.095/SOL, fees 0.75% × 95
    // = 0.7125/SOL: net +4.8925/SOL, so x ≈ 70/4.8925 ≈ 14.3075 SOL.
    let close = base_to_close(equity, end, &pos, i128::MAX, 0).unwrap();
    assert!((14_300_000_000..14_320_000_000).contains(&close), "{close}");
    assert!(health_after_close(equity, end, &pos, close).unwrap() >= 0);
    assert!(health_after_close(equity, end, &pos, close - 1).unwrap() < 0);
}

#[test]
fn a_slice_cap_and_the_small_remainder_floor_apply() {
    let pos = sol_long(100 * ONE, 95 * USD);
    // At most 5 SOL per slice.
    assert_eq!(base_to_close(500 * USD, 570 * USD, &pos, 5 * ONE, 0), Ok(5 * ONE));
    // A remainder under $10,000 notional closes in full.
    assert_eq!(base_to_close(500 * USD, 570 * USD, &pos, i128::MAX, 10_000 * USD), Ok(100 * ONE));
}

#[test]
fn an_account_that_cannot_be_restored_is_closed_in_full() {
    // Equity −50: no partial close reaches the end level.
    let pos = sol_long(100 * ONE, 95 * USD);
    assert_eq!(base_to_close(-50 * USD, 570 * USD, &pos, i128::MAX, 0), Ok(100 * ONE));
}

#[test]
fn a_healthy_account_closes_nothing() {
    let pos = sol_long(100 * ONE, 95 * USD);
    assert_eq!(base_to_close(600 * USD, 570 * USD, &pos, i128::MAX, 0), Ok(0));
}

#[test]
fn fees_shrink_to_the_equity_left() {
    assert_eq!(shrink_fees(60, 30, 1_000), Ok((60, 30)));
    // Only 45 left: split 2:1 → 30 / 15.
    assert_eq!(shrink_fees(60, 30, 45), Ok((30, 15)));
    // 10 left: liquidator floor(60 × 10 / 90) = 6, insurance 4.
    assert_eq!(shrink_fees(60, 30, 10), Ok((6, 4)));
    assert_eq!(shrink_fees(60, 30, -5), Ok((0, 0)));
}

#[test]
fn liquidation_price_of_a_long_and_a_short() {
    let rest = RestOfAccount { equity: 1_000 * USD, maintenance: 0 };
    // Long 100 SOL with entry −10,000 and $1,000 collateral: 1000 + 100p − 10000 = 5% × 100p
    // → 95p = 9000 → p = 94.736842…: liquidatable at or below 94.736842.
    let p = liquidation_price(100 * ONE, -10_000 * USD, 0, &TIERS, 0, &rest, 1 << 40).unwrap().unwrap();
    assert_eq!(p, 94_736_842);
    assert!(maintenance_health_at(100 * ONE, -10_000 * USD, p, 0, &TIERS, 0, &rest).unwrap() < 0);
    assert!(maintenance_health_at(100 * ONE, -10_000 * USD, p + 1, 0, &TIERS, 0, &rest).unwrap() >= 0);
    // Short 100 SOL at 100: 1000 + 10000 − 100p = 5p → p = 104.761904…: liquidatable from 104.761905.
    let p = liquidation_price(-100 * ONE, 10_000 * USD, 0, &TIERS, 0, &rest, 1 << 40).unwrap().unwrap();
    assert_eq!(p, 104_761_905);
    // A fully collateralized long never reaches maintenance.
    let rich = RestOfAccount { equity: 20_000 * USD, maintenance: 0 };
    assert_eq!(liquidation_price(100 * ONE, -10_000 * USD, 0, &TIERS, 0, &rich, 1 << 40), Ok(None));
}

mod properties {
    use super::*;
    use crate::math::margin::{tier_requirement, Requirement};
    use proptest::prelude::*;

    const TIERED: [Tier; 3] = [
        Tier { notional_upper: 100_000 * USD, initial_ratio: 100_000, maintenance_ratio: 50_000 },
        Tier { notional_upper: 1_000_000 * USD, initial_ratio: 200_000, maintenance_ratio: 100_000 },
        Tier { notional_upper: i128::MAX, initial_ratio: 400_000, maintenance_ratio: 200_000 },
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        #[test]
        fn tier_requirement_is_monotone_and_never_jumps(n in 0i128..10_000_000 * USD, step in 1i128..1_000 * USD) {
            for kind in [Requirement::Maintenance, Requirement::Initial] {
                let a = tier_requirement(n, &TIERED, kind).unwrap();
                let b = tier_requirement(n + step, &TIERED, kind).unwrap();
                prop_assert!(b >= a);
                // The marginal ratio is at most 40%: the increase is bounded by 40% of the step (+1 rounding).
                prop_assert!(b - a <= step * 4 / 10 + 1);
            }
        }

        #[test]
        fn liquidation_never_lowers_health_and_stops_at_the_end_level(
            base_units in 1i128..10_000,
            price_usd in 1i128..1_000,
            equity_pct in -20i128..6,
            conf_bp in 0i128..20,
            short in any::<bool>(),
        ) {
            let oracle = price_usd * USD;
            let base = if short { -base_units * ONE } else { base_units * ONE };
            let pos = ClosingPosition {
                base,
                oracle_price: oracle,
                conf: oracle * conf_bp / 10_000,
                exec_price: execution_price(-base, oracle, 1_000).unwrap(),
                tiers: &TIERED,
                addon_ratio: 2_000,
                buffer_ratio: 10_000,
                liquidator_fee_ratio: 5_000,
                insurance_fee_ratio: 2_500,
            };
            let notional_now = notional(base, oracle).unwrap();
            let end = liquidation_end_requirement(notional_now, &TIERED, 2_000, 10_000).unwrap();
            let equity = notional_now * equity_pct / 100;
            let close = base_to_close(equity, end, &pos, i128::MAX, 0).unwrap();
            let before = health_after_close(equity, end, &pos, 0).unwrap();
            let after = health_after_close(equity, end, &pos, close).unwrap();
            prop_assert!(after >= before, "health fell: {before} → {after}");
            if close > 0 && close < base.abs() {
                prop_assert!(after >= 0);
                // Minimal: one base unit less would not have reached the end level.
                prop_assert!(health_after_close(equity, end, &pos, close - 1).unwrap() < 0);
            }
        }

        #[test]
        fn a_round_trip_at_one_price_never_creates_money(
            base in -1_000_000 * ONE..1_000_000 * ONE,
            price in 1i128..100_000 * USD,
            part in 1i128..100,
        ) {
            prop_assume!(base != 0);
            let open = crate::math::position::apply_trade(0, 0, base, price).unwrap();
            let partial = -base * part / 100;
            let mid = crate::math::position::apply_trade(open.base, open.quote_entry, partial, price).unwrap();
            let closed = crate::math::position::apply_trade(mid.base, mid.quote_entry, -mid.base, price).unwrap();
            prop_assert_eq!(closed.base, 0);
            prop_assert_eq!(closed.quote_entry, 0);
            prop_assert!(mid.realized_pnl + closed.realized_pnl <= 0);
        }

        #[test]
        fn shrunk_fees_never_exceed_the_nominal_fees_or_the_equity_left(
            liq in 0i128..1_000_000, ins in 0i128..1_000_000, equity in -1_000_000i128..3_000_000,
        ) {
            let (l, i) = shrink_fees(liq, ins, equity).unwrap();
            prop_assert!(l <= liq && i <= ins && l >= 0 && i >= 0);
            prop_assert!(l + i <= equity.max(0) || (l == liq && i == ins));
        }
    }
}
