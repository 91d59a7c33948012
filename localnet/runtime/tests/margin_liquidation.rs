//! Flagging, partial liquidation and bankruptcy resolution through the native runtime.

mod harness;

use harness::*;
use localnet_runtime::Executed;
use margin::events::{AccountFlagged, LiquidationRecord};
use margin::state::AccountStatus;

fn record(exec: &Executed) -> LiquidationRecord {
    events::<LiquidationRecord>(exec).pop().expect("a LiquidationRecord event")
}

/// A trader 9× long 90 SOL at $100 with $1,000, and a liquidator.
fn leveraged() -> (Exchange, usize, User, User) {
    let mut ex = Exchange::new();
    let m = ex.add_market(100 * USD);
    let trader = ex.user(1_000 * USD as u64);
    ok(&ex.market_order(&trader, m, 90 * ONE));
    let liquidator = ex.user(0);
    (ex, m, trader, liquidator)
}

#[test]
fn refuses_to_liquidate_or_flag_a_healthy_account() {
    let (mut ex, m, trader, liquidator) = leveraged();
    assert!(!ex.health(&trader.account).below_maintenance());
    assert_eq!(code(&ex.liquidate(&liquidator, &trader.account, m, 0)), Some(6022));
    assert_eq!(code(&ex.flag(&trader.account)), Some(6022));
}

#[test]
fn flags_an_account_below_maintenance_once() {
    let (mut ex, m, trader, _) = leveraged();
    ex.set_oracle(m, 93_500_000, USD / 100, 0);
    assert!(ex.health(&trader.account).below_maintenance());
    ok(&ex.flag(&trader.account));
    let a = ex.margin_account(&trader.account);
    assert_eq!(a.status(), AccountStatus::BeingLiquidated);
    assert_eq!(a.liquidation_id, 1);
    assert_eq!(code(&ex.flag(&trader.account)), Some(6023));
}

#[test]
fn liquidates_just_enough_to_restore_the_liquidation_end_level() {
    let (mut ex, m, trader, liquidator) = leveraged();
    // $94: equity ≈ 1000 − 90 × 6.05 ≈ 455, maintenance 5% × 8,460 = 423 → healthy by a little.
    // $93.5: equity ≈ 410 < maintenance 421.
    ex.set_oracle(m, 93_500_000, USD / 100, 0);
    let before = ex.health(&trader.account);
    assert!(before.below_maintenance());
    let exec = ex.liquidate(&liquidator, &trader.account, m, 90 * USD as u64);
    ok(&exec);
    let r = record(&exec);
    let after = ex.health(&trader.account);
    assert!(!after.below_liquidation_end(), "restored: {after:?}");
    // Not overshooting: the end level is reached with little to spare (well under one slice of 1 SOL).
    assert!(after.equity - after.liquidation_end < 100 * USD, "{after:?}");
    assert!(r.closed_base < 0 && r.closed_base > -90 * ONE, "partial: {}", r.closed_base);
    assert_eq!(r.status_after, AccountStatus::Healthy as u8);
    assert_eq!(r.liquidation_id, 1);
    assert!(r.liquidator_fee > 0 && r.insurance_fee > 0);
    assert_eq!(ex.token_balance(&liquidator.token), 2 + r.liquidator_fee); // user() mints 2 units
    assert_eq!(ex.margin_account(&trader.account).status(), AccountStatus::Healthy);
    ex.assert_conserved();
    // Healthy again: another liquidation is refused.
    assert_eq!(code(&ex.liquidate(&liquidator, &trader.account, m, 0)), Some(6022));
}

#[test]
fn the_first_step_flags_an_unflagged_account_with_the_flag_record_and_later_steps_do_not() {
    let (mut ex, m, trader, liquidator) = leveraged();
    ex.set_oracle(m, 92 * USD, USD / 100, 0);
    let before = ex.health(&trader.account);
    assert!(before.below_maintenance());
    assert_eq!(ex.margin_account(&trader.account).status(), AccountStatus::Healthy);
    let exec = ex.liquidate(&liquidator, &trader.account, m, 85 * USD as u64);
    ok(&exec);
    let flags = events::<AccountFlagged>(&exec);
    assert_eq!(flags.len(), 1);
    let (flag, r) = (&flags[0], record(&exec));
    assert_eq!((flag.margin_account, flag.liquidation_id), (trader.account, r.liquidation_id));
    assert_eq!((flag.equity, flag.maintenance_requirement), (r.equity_before, r.maintenance_before));
    assert!(flag.equity < flag.maintenance_requirement);
    assert_eq!(r.liquidation_id, 1);
    // One slice did not restore the account: it stays flagged and the next step records no new flag.
    if r.status_after == AccountStatus::BeingLiquidated as u8 {
        let next = ex.liquidate(&liquidator, &trader.account, m, 85 * USD as u64);
        ok(&next);
        assert!(events::<AccountFlagged>(&next).is_empty());
        assert_eq!(record(&next).liquidation_id, r.liquidation_id);
    }
    ex.assert_conserved();
}

#[test]
fn refuses_a_liquidation_past_the_limit_price() {
    let (mut ex, m, trader, liquidator) = leveraged();
    ex.set_oracle(m, 93_500_000, USD / 100, 0);
    // Closing a long sells: the limit is a minimum price, and impact puts execution below the oracle.
    assert_eq!(code(&ex.liquidate(&liquidator, &trader.account, m, 93_500_000)), Some(6018));
    ok(&ex.liquidate(&liquidator, &trader.account, m, 93_000_000));
}

#[test]
fn refuses_liquidation_on_a_stale_or_uncertain_price() {
    let (mut ex, m, trader, liquidator) = leveraged();
    ex.set_oracle(m, 90 * USD, USD / 100, 121);
    assert_eq!(code(&ex.liquidate(&liquidator, &trader.account, m, 0)), Some(6014));
    ex.set_oracle(m, 90 * USD, 3 * USD, 0); // 3.3% confidence; liquidation allows 2%
    assert_eq!(code(&ex.liquidate(&liquidator, &trader.account, m, 0)), Some(6015));
    assert_eq!(code(&ex.flag(&trader.account)), Some(6015));
}

#[test]
fn a_crash_bankrupts_the_account_and_insurance_pays_the_deficit() {
    let (mut ex, m, trader, liquidator) = leveraged();
    // $85: equity ≈ 1000 − 90 × 15.05 < 0: everything closes, collateral ends negative.
    ex.set_oracle(m, 85 * USD, USD / 100, 0);
    let insurance_before = ex.market(m).insurance_balance;
    let exec = ex.liquidate(&liquidator, &trader.account, m, 0);
    ok(&exec);
    let r = record(&exec);
    assert_eq!(r.closed_base, -90 * ONE);
    // Fees shrink to what is left: nothing. The insurance fund pays the liquidator's $10 bounty.
    assert_eq!((r.liquidator_fee, r.insurance_fee), (0, 0));
    let bounty = events::<margin::events::LiquidationBounty>(&exec).pop().expect("a bounty");
    assert_eq!((bounty.amount, bounty.liquidation_id), (10 * USD as u64, r.liquidation_id));
    assert_eq!(ex.token_balance(&liquidator.token), 2 + 10 * USD as u64);
    let a = ex.margin_account(&trader.account);
    assert_eq!(a.status(), AccountStatus::Bankrupt);
    let deficit = -a.collateral;
    assert!(deficit > 0);
    ex.assert_conserved();

    ok(&ex.resolve(&trader.account, m));
    let a = ex.margin_account(&trader.account);
    assert_eq!((a.collateral, a.status()), (0, AccountStatus::Healthy));
    assert_eq!(ex.market(m).insurance_balance, insurance_before - 10 * USD as i64 - deficit);
    assert_eq!(ex.market(m).total_insurance_paid, deficit as u64);
    ex.assert_conserved();
    assert_eq!(code(&ex.resolve(&trader.account, m)), Some(6025), "resolved twice");
}

#[test]
fn what_insurance_cannot_pay_is_socialized_on_the_pool() {
    let mut ex = Exchange::new();
    // $11 of insurance: $10 goes to the liquidator's bounty, $1 is left for the deficit.
    let m = ex.add_market_with(
        margin::state::MarketParams::example(PYTH_RECEIVER, [0; 32]),
        100 * USD,
        10_000_000 * USD as i64,
        11 * USD as u64,
    );
    let trader = ex.user(1_000 * USD as u64);
    let liquidator = ex.user(0);
    ok(&ex.market_order(&trader, m, 90 * ONE));
    ex.set_oracle(m, 80 * USD, USD / 100, 0);
    ok(&ex.liquidate(&liquidator, &trader.account, m, 0));
    assert_eq!(ex.market(m).insurance_balance, USD as i64);
    let deficit = -ex.margin_account(&trader.account).collateral;
    let pool_before = ex.market(m).pool_balance;
    ok(&ex.resolve(&trader.account, m));
    let market = ex.market(m);
    assert_eq!(market.insurance_balance, 0);
    assert_eq!(market.total_socialized_loss as i64, deficit - USD as i64);
    // The pool was never credited the unpaid part of the loss: it forgoes it, and the insurance
    // fund's $1 goes to it.
    assert_eq!(market.pool_balance, pool_before + USD as i64);
    ex.assert_conserved();
}

#[test]
fn a_large_position_is_liquidated_in_slices() {
    let mut ex = Exchange::new();
    let mut params = margin::state::MarketParams::example(PYTH_RECEIVER, [0; 32]);
    params.max_liquidation_notional = 5_000 * USD as u64;
    let m = ex.add_market_with(params, 100 * USD, 10_000_000 * USD as i64, 100_000 * USD as u64);
    let trader = ex.user(10_000 * USD as u64);
    let liquidator = ex.user(0);
    ok(&ex.market_order(&trader, m, 900 * ONE));
    ex.set_oracle(m, 93_500_000, USD / 100, 0);
    let first = record(&{
        let e = ex.liquidate(&liquidator, &trader.account, m, 0);
        ok(&e);
        e
    });
    // One slice is at most $5,000 of notional: about 53 SOL at $93.5.
    assert!(first.closed_notional <= 5_000 * USD as u64 + 1);
    assert_eq!(first.status_after, AccountStatus::BeingLiquidated as u8);
    let mut steps = 1;
    while ex.margin_account(&trader.account).status() == AccountStatus::BeingLiquidated {
        ok(&ex.liquidate(&liquidator, &trader.account, m, 0));
        steps += 1;
        assert!(steps < 50);
    }
    assert!(steps > 1);
    assert!(!ex.health(&trader.account).below_liquidation_end());
    ex.assert_conserved();
}
