//! Nobody gains from the program's edges: no withdrawal against winnings a pool cannot pay, no
//! insurance bounty for an account that can pay its own fee, no liquidation caused by a stale
//! oracle's penalty alone, no pool liquidity leaving a settled market below what it owes, no free
//! option in closing at an old price, nothing saved by splitting an order where the impact cap binds.

mod harness;

use harness::*;
use margin::events::{LiquidationBounty, LiquidationRecord, PositionChanged};
use margin::state::{AccountStatus, MarketParams};

fn params() -> MarketParams {
    MarketParams::example(PYTH_RECEIVER, [0; 32])
}

#[test]
fn no_withdrawal_against_winnings_the_pool_cannot_pay() {
    let mut ex = Exchange::new();
    // A $600 pool backs a $5,000 long at 10%; at $130 the long's ~$1,500 gain is backed to ~40%.
    let m = ex.add_market_with(params(), 100 * USD, 600 * USD as i64, 0);
    let trader = ex.user(1_000 * USD as u64);
    ok(&ex.market_order(&trader, m, 50 * ONE));
    ex.set_oracle(m, 130 * USD, USD / 100, 0);
    // Counting the whole gain, the account could take all $1,000 out and still hold ~$1,500 of
    // equity against a $650 initial requirement; the pool could never pay that equity.
    assert_eq!(code(&ex.withdraw(&trader, 1_000 * USD as u64)), Some(6017));
    // What the collateral itself covers beyond the requirement, plus the backed part, may go.
    ok(&ex.withdraw(&trader, 300 * USD as u64));
    // A larger net long is refused: the pool's capital no longer backs it.
    assert_eq!(code(&ex.market_order(&trader, m, 10 * ONE)), Some(6040));
    // Once the pool holds enough, the gain counts in full again.
    ok(&ex.pool_liquidity(m, 10_000 * USD as i64));
    ok(&ex.withdraw(&trader, 500 * USD as u64));
    ex.assert_conserved();
}

#[test]
fn a_losing_position_on_the_same_side_does_not_make_an_unbacked_gain_count() {
    // A bought at $100; B would buy at $120 so that at $110 A is up ~$500 and B down ~$500: the
    // longs' aggregate gain would net to nothing while B's loss reaches the pool only when B closes.
    // The pool's capital does not back B's larger net long, so that state cannot arise on a pool
    // this small (and no gain ever counts for more than the pool holds: `backed_pnl`).
    let mut ex = Exchange::new();
    let m = ex.add_market_with(params(), 100 * USD, 600 * USD as i64, 0);
    let a = ex.user(1_000 * USD as u64);
    let b = ex.user(1_000 * USD as u64);
    ok(&ex.market_order(&a, m, 50 * ONE));
    ex.set_oracle(m, 120 * USD, USD / 100, 0);
    assert_eq!(code(&ex.market_order(&b, m, 50 * ONE)), Some(6040));
    ex.set_oracle(m, 110 * USD, USD / 100, 0);
    // A's ~$500 gain is within the $600 pool: it counts, and A may take out what it backs.
    assert_eq!(code(&ex.withdraw(&a, 1_000 * USD as u64)), Some(6017));
    ok(&ex.withdraw(&a, 900 * USD as u64));
    ex.assert_conserved();
}

#[test]
fn an_account_whose_other_positions_can_pay_the_fee_earns_its_liquidator_no_insurance_bounty() {
    let mut ex = Exchange::new();
    let sol = ex.add_market(100 * USD);
    let eth = ex.add_market(3_000 * USD);
    let trader = ex.user(1_000 * USD as u64);
    let liquidator = ex.user(0);
    ok(&ex.market_order(&trader, sol, 40 * ONE));
    ok(&ex.market_order(&trader, eth, -ONE));
    // SOL +$400, ETH −$1,200: equity ~$200 below a ~$430 maintenance. Closing ETH realizes more
    // loss than the collateral holds, but the SOL gain still covers the step's fees.
    ex.set_oracle(sol, 110 * USD, USD / 100, 0);
    ex.set_oracle(eth, 4_200 * USD, USD, 0);
    let insurance = ex.market(eth).insurance_balance;
    let exec = ex.liquidate(&liquidator, &trader.account, eth, u64::MAX);
    ok(&exec);
    let a = ex.margin_account(&trader.account);
    assert!(
        a.collateral < 0 && a.position_index(&ex.markets[eth].key).is_none(),
        "ETH closed into a negative collateral"
    );
    assert!(ex.health(&trader.account).equity > 0, "the SOL gain keeps equity positive");
    assert!(events::<LiquidationBounty>(&exec).is_empty(), "no bounty for an account that is not underwater");
    assert_eq!(ex.market(eth).insurance_balance, insurance);
    // The fee is the account's to pay: closing the winner first realizes the gain that pays it.
    let twin = ex.user(1_000 * USD as u64);
    ex.set_oracle(sol, 100 * USD, USD / 100, 0);
    ex.set_oracle(eth, 3_000 * USD, USD, 0);
    ok(&ex.market_order(&twin, sol, 40 * ONE));
    ok(&ex.market_order(&twin, eth, -ONE));
    ex.set_oracle(sol, 110 * USD, USD / 100, 0);
    ex.set_oracle(eth, 4_200 * USD, USD, 0);
    let exec = ex.liquidate(&liquidator, &twin.account, sol, 0);
    ok(&exec);
    let r = events::<LiquidationRecord>(&exec).pop().unwrap();
    assert!(r.liquidator_fee > 0 && events::<LiquidationBounty>(&exec).is_empty(), "fee {}", r.liquidator_fee);
    ok(&ex.liquidate(&liquidator, &trader.account, sol, 0));
    ex.assert_conserved();
}

#[test]
fn a_stale_oracles_penalty_alone_never_makes_an_account_liquidatable() {
    let mut ex = Exchange::new();
    let sol = ex.add_market(100 * USD);
    let eth = ex.add_market(3_000 * USD);
    let trader = ex.user(2_000 * USD as u64);
    let liquidator = ex.user(0);
    ok(&ex.refresh(eth));
    ok(&ex.market_order(&trader, eth, 5 * ONE));
    ok(&ex.market_order(&trader, sol, 30 * ONE));
    // Lower SOL until the account is just above maintenance: less than the $300 a 2% confidence
    // floor takes off the $15,000 ETH position.
    let mut price = 100 * USD;
    loop {
        price -= USD;
        ex.set_oracle(sol, price, price / 2_000, 0);
        let h = ex.health(&trader.account);
        if h.equity - h.maintenance < 150 * USD {
            assert!(h.equity > h.maintenance, "{h:?}");
            break;
        }
    }
    // ETH's oracle goes stale at an unchanged price: valued conservatively the account is below
    // maintenance, but only because of that penalty.
    ex.advance(200);
    ex.set_oracle(sol, price, price / 2_000, 0);
    let h = ex.health(&trader.account);
    assert!(h.below_maintenance(), "the conservative value is below maintenance: {h:?}");
    assert_eq!(code(&ex.liquidate(&liquidator, &trader.account, sol, 0)), Some(6022));
    assert_eq!(code(&ex.flag(&trader.account)), Some(6022));
    assert_eq!(ex.margin_account(&trader.account).status(), AccountStatus::Healthy);
    // A real fall in SOL still lets the other market be liquidated while ETH's oracle is dead.
    ex.set_oracle(sol, price - 15 * USD, price / 2_000, 0);
    ok(&ex.liquidate(&liquidator, &trader.account, sol, 0));
    ex.assert_conserved();
}

#[test]
fn pool_liquidity_leaving_a_settled_market_keeps_what_the_settlement_owes() {
    let mut ex = Exchange::new();
    let m = ex.add_market_with(params(), 100 * USD, 10_000 * USD as i64, 0);
    let trader = ex.user(1_000 * USD as u64);
    ok(&ex.refresh(m));
    ok(&ex.market_order(&trader, m, 50 * ONE));
    // The oracle dies at $100; the admin settles the market at $150: the long is owed ~$2,500.
    let admin = ex.admin.insecure_clone();
    ok(&ex.settle_market(&admin, m, 150 * USD as u64));
    let pool = ex.market(m).pool_balance;
    // Valued at the last oracle price, only ~$100 would have had to stay.
    assert_eq!(code(&ex.pool_liquidity(m, -(pool - 2_000 * USD as i64))), Some(6029));
    ok(&ex.pool_liquidity(m, -(pool - 2_600 * USD as i64)));
    // The long closes at the settlement and is paid in full.
    let exec = ex.market_order(&trader, m, -50 * ONE);
    ok(&exec);
    assert!(events::<PositionChanged>(&exec)[0].realized_pnl > 2_400 * USD as i64);
    ex.assert_conserved();
}

#[test]
fn closing_at_an_old_price_pays_the_age_spread() {
    let mut ex = Exchange::new();
    let m = ex.add_market(100 * USD);
    let fresh = ex.user(10_000 * USD as u64);
    let late = ex.user(10_000 * USD as u64);
    ok(&ex.market_order(&fresh, m, 10 * ONE));
    ok(&ex.market_order(&late, m, 10 * ONE));
    let close = |ex: &mut Exchange, u: &User| {
        events::<PositionChanged>(&{
            let e = ex.market_order(u, m, -10 * ONE);
            ok(&e);
            e
        })[0]
            .exec_price
    };
    let at_fresh = close(&mut ex, &fresh);
    // The same price, 100 s old: past the opening limit, inside the liquidation limit.
    ex.set_oracle(m, 100 * USD, USD / 20, 100);
    let at_old = close(&mut ex, &late);
    // 0.05% + 100 s × 0.02% = 2.05%, capped at the 2% liquidation confidence limit, against the
    // fresh close's 0.05%.
    assert!(at_fresh - at_old >= 1_940_000, "fresh {at_fresh} vs old {at_old}");
    ex.assert_conserved();
}

#[test]
fn a_reduction_at_the_oldest_price_allowed_never_lowers_health() {
    let mut ex = Exchange::new();
    let mut p = params();
    p.max_oracle_age_liquidate_s = 600;
    let m = ex.add_market_with(p, 100 * USD, 10_000_000 * USD as i64, 0);
    let trader = ex.user(1_000 * USD as u64);
    ok(&ex.market_order(&trader, m, 90 * ONE));
    ex.set_oracle(m, 100 * USD, USD / 20, 590);
    let before = ex.health(&trader.account);
    ok(&ex.market_order(&trader, m, -45 * ONE));
    let after = ex.health(&trader.account);
    // A 590 s old price would ask 11.8% + confidence; the reduction pays at most 2%.
    assert!(after.equity - after.maintenance > before.equity - before.maintenance, "{before:?} → {after:?}");
    ex.assert_conserved();
}

#[test]
fn one_order_costs_what_its_pieces_cost_where_the_impact_cap_binds() {
    let mut ex = Exchange::new();
    let whole_market = ex.add_market(100 * USD);
    let split_market = ex.add_market(100 * USD);
    let whole = ex.user(5_000_000 * USD as u64);
    let split = ex.user(5_000_000 * USD as u64);
    // $10M of buying: the 0.5% cap binds from $4.5M of skew.
    ok(&ex.market_order(&whole, whole_market, 100_000 * ONE));
    for _ in 0..10 {
        ok(&ex.market_order(&split, split_market, 10_000 * ONE));
    }
    let cost = |ex: &Exchange, u: &User| -ex.margin_account(&u.account).positions[0].quote_entry;
    let (one, pieces) = (cost(&ex, &whole), cost(&ex, &split));
    // Before, the ten pieces paid $10,000 less than the one order.
    assert!((one - pieces).abs() <= 10 * USD as i64, "one order {one} vs pieces {pieces}");
    ex.assert_conserved();
}

#[test]
fn a_new_market_needs_room_beside_the_positions_and_the_recorded_shortfalls() {
    // Seven winning longs and a short in an eighth market closed at a loss the collateral cannot
    // pay: seven positions and one recorded shortfall fill the eight slots.
    let mut ex = Exchange::new();
    let longs: Vec<usize> = (0..7).map(|_| ex.add_market(100 * USD)).collect();
    let eth = ex.add_market(3_000 * USD);
    let ninth = ex.add_market(100 * USD);
    let trader = ex.user(1_100 * USD as u64);
    for &m in &longs {
        ok(&ex.market_order(&trader, m, 10 * ONE));
    }
    ok(&ex.market_order(&trader, eth, -ONE));
    for &m in &longs {
        ex.set_oracle(m, 150 * USD, USD / 100, 0);
    }
    ex.set_oracle(eth, 5_000 * USD, USD, 0);
    ok(&ex.market_order(&trader, eth, ONE));
    let a = ex.margin_account(&trader.account);
    assert!(a.collateral < 0 && a.deficit_record().len() == 1 && a.open_positions().count() == 7);
    // A ninth market would have no record slot of its own if it, too, ran a shortfall.
    assert_eq!(code(&ex.market_order(&trader, ninth, ONE)), Some(6038));
    // The recorded market and the markets already held stay open to trade.
    ok(&ex.market_order(&trader, eth, ONE / 10));
    ok(&ex.market_order(&trader, longs[0], ONE));
    ex.assert_conserved();
}
