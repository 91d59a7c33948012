//! One oracle must not freeze a liquidation: a position whose oracle is stale or too uncertain is
//! valued against its holder (the worse of the market's last accepted price and the refused
//! reading, under its normal margin), so the rest of the account can still be liquidated and
//! unflagged, while withdrawing and adding risk wait for a usable price; the admin can move a
//! market to a new oracle; a lowered add-on cap applies at once.

mod harness;

use harness::*;
use margin::state::{AccountStatus, MarketParams};
use solana_pubkey::Pubkey;

/// A trader 9× long 90 SOL at $100 with $1,000, plus a $3 ETH position; ETH has an accepted price.
fn with_small_eth() -> (Exchange, usize, usize, User, User) {
    let mut ex = Exchange::new();
    let sol = ex.add_market(100 * USD);
    let eth = ex.add_market(3_000 * USD);
    ok(&ex.refresh(eth));
    let trader = ex.user(1_000 * USD as u64);
    ok(&ex.market_order(&trader, eth, ONE / 1_000));
    ok(&ex.market_order(&trader, sol, 90 * ONE));
    let liquidator = ex.user(0);
    (ex, sol, eth, trader, liquidator)
}

#[test]
fn a_dead_oracle_on_a_small_position_does_not_block_liquidating_a_large_one() {
    let (mut ex, sol, eth, trader, liquidator) = with_small_eth();
    // ETH's oracle stops (200 s old: past the 120 s liquidation limit); SOL falls.
    ex.advance(200);
    ex.set_oracle(eth, 3_000 * USD, 3 * USD, 200);
    ex.set_oracle(sol, 93_500_000, USD / 100, 0);
    let exec = ex.liquidate(&liquidator, &trader.account, sol, 0);
    ok(&exec);
    let r = events::<margin::events::LiquidationRecord>(&exec).pop().unwrap();
    assert!(r.closed_base < 0);
    // The dead market itself cannot be liquidated: its own price is needed for that.
    assert_eq!(code(&ex.liquidate(&liquidator, &trader.account, eth, 0)), Some(6014));
    ex.assert_conserved();
}

#[test]
fn withdrawing_and_adding_risk_never_use_the_fallback() {
    // A short at an old accepted price whose live price tripled would look rich at the old price:
    // with an unusable oracle in the account, the owner can neither withdraw nor add risk.
    let (mut ex, sol, eth, trader, _) = with_small_eth();
    ex.advance(200);
    ex.set_oracle(eth, 3_000 * USD, 3 * USD, 200);
    ex.set_oracle(sol, 100 * USD, USD / 100, 0);
    assert_eq!(code(&ex.withdraw(&trader, 5 * USD as u64)), Some(6014));
    assert_eq!(code(&ex.market_order(&trader, sol, ONE)), Some(6014));
    // Reducing is still allowed.
    ok(&ex.market_order(&trader, sol, -ONE));
    ex.assert_conserved();
}

#[test]
fn one_stale_oracle_does_not_make_a_healthy_account_liquidatable() {
    // 3.5× leverage: healthy at the live SOL price and at ETH's last accepted price. ETH's oracle
    // going stale changes nothing: the fallback keeps ETH's normal margin.
    let mut ex = Exchange::new();
    let sol = ex.add_market(100 * USD);
    let eth = ex.add_market(3_000 * USD);
    ok(&ex.refresh(eth));
    let trader = ex.user(1_000 * USD as u64);
    let keeper = ex.user(0);
    ok(&ex.market_order(&trader, sol, 5 * ONE));
    ok(&ex.market_order(&trader, eth, ONE));
    ex.advance(200);
    ex.set_oracle(eth, 3_000 * USD, 3 * USD, 200);
    ex.set_oracle(sol, 100 * USD, USD / 100, 0);
    assert_eq!(code(&ex.flag(&trader.account)), Some(6022));
    assert_eq!(code(&ex.liquidate(&keeper, &trader.account, sol, 0)), Some(6022));
}

#[test]
fn a_stale_short_is_valued_at_the_higher_of_its_last_and_refused_prices() {
    // Short 5 ETH from $3,000 with $2,000 and 1 SOL long. ETH's oracle stalls at $3,600 (the last
    // accepted was $3,000): valued at $3,600, the account is below maintenance and its SOL is
    // liquidated; valued at the old $3,000 it would look healthy.
    let mut ex = Exchange::new();
    let sol = ex.add_market(100 * USD);
    let eth = ex.add_market(3_000 * USD);
    ok(&ex.refresh(eth));
    let trader = ex.user(2_600 * USD as u64);
    let keeper = ex.user(0);
    ok(&ex.market_order(&trader, eth, -5 * ONE));
    ok(&ex.market_order(&trader, sol, 50 * ONE));
    ex.advance(200);
    ex.set_oracle(eth, 3_600 * USD, 3 * USD, 200);
    ex.set_oracle(sol, 100 * USD, USD / 100, 0);
    ok(&ex.liquidate(&keeper, &trader.account, sol, 0));
}

#[test]
fn a_flagged_account_whose_other_oracle_died_is_unflagged_once_it_covers_the_full_requirement() {
    let (mut ex, sol, eth, trader, _) = with_small_eth();
    ex.set_oracle(sol, 93_500_000, USD / 100, 0);
    ok(&ex.flag(&trader.account));
    ex.advance(200);
    ex.set_oracle(eth, 3_000 * USD, 3 * USD, 200);
    ex.set_oracle(sol, 100 * USD, USD / 100, 0);
    ok(&ex.unflag(&trader.account));
    assert_eq!(ex.margin_account(&trader.account).status(), AccountStatus::Healthy);
}

#[test]
fn with_no_price_to_go_on_the_refusal_stands() {
    let mut ex = Exchange::new();
    let sol = ex.add_market(100 * USD);
    let eth = ex.add_market(3_000 * USD); // never refreshed: no accepted price
    let trader = ex.user(1_000 * USD as u64);
    let liquidator = ex.user(0);
    ok(&ex.market_order(&trader, eth, ONE / 1_000));
    ok(&ex.market_order(&trader, sol, 90 * ONE));
    // ETH's oracle now reads no usable price at all (zero), and nothing was ever accepted.
    ex.set_oracle(eth, 0, 0, 0);
    ex.set_oracle(sol, 93_500_000, USD / 100, 0);
    assert_eq!(code(&ex.liquidate(&liquidator, &trader.account, sol, 0)), Some(6013));
    // The same account with only the dead position: nothing a liquidation could act on.
    let other = ex.user(1_000 * USD as u64);
    ex.set_oracle(eth, 3_000 * USD, 3 * USD, 0);
    ok(&ex.market_order(&other, eth, ONE / 10));
    ex.advance(200);
    ex.set_oracle(eth, 2_000 * USD, 3 * USD, 200);
    assert_eq!(code(&ex.flag(&other.account)), Some(6014));
}

#[test]
fn the_admin_moves_a_market_to_a_new_oracle_account() {
    let mut ex = Exchange::new();
    let m = ex.add_market(100 * USD);
    let trader = ex.user(1_000 * USD as u64);
    let stranger = ex.user(0);
    let (old, new) = (ex.markets[m].oracle, Pubkey::new_unique());
    ex.advance(200);
    ex.write_oracle_at(new, m, 101 * USD, 0);
    let stranger_kp = stranger.kp.insecure_clone();
    assert_eq!(code(&ex.set_market_oracle(&stranger_kp, m, new)), Some(6005));
    // An account that is not a price in the market's layout is refused.
    let admin = ex.admin.insecure_clone();
    let junk = Pubkey::new_unique();
    ex.set_raw_oracle(junk, PYTH_RECEIVER, vec![0; 10]);
    assert_eq!(code(&ex.set_market_oracle(&admin, m, junk)), Some(6010));
    ok(&ex.set_market_oracle(&admin, m, new));
    let market = ex.market(m);
    assert_eq!((market.oracle, market.last_oracle_price), (new, 101 * USD as i64));
    ok(&ex.market_order(&trader, m, ONE));
    // The old account is no longer the market's oracle.
    ex.markets[m].oracle = old;
    assert_eq!(code(&ex.market_order(&trader, m, ONE)), Some(6007));
}

#[test]
fn a_lowered_add_on_cap_clamps_the_stored_add_on() {
    let mut ex = Exchange::new();
    let m = ex.add_market(100 * USD);
    ok(&ex.refresh(m));
    ex.advance(1);
    ex.set_oracle(m, 110 * USD, USD / 100, 0);
    ok(&ex.refresh(m));
    // The 10% move raised the estimate; the add-on phases in from the next observation on.
    assert_eq!(ex.market(m).vol_addon_ratio, 0);
    ex.advance(1);
    ex.set_oracle(m, 110 * USD, USD / 100, 0);
    ok(&ex.refresh(m));
    assert_eq!(ex.market(m).vol_addon_ratio, 500);
    let mut params = MarketParams::example(PYTH_RECEIVER, [0; 32]);
    params.vol_addon_cap = 300;
    ok(&ex.update_market(m, params));
    assert_eq!(ex.market(m).vol_addon_ratio, 300);
}

#[test]
fn a_dead_market_settled_at_a_fixed_price_lets_its_holders_close_and_withdraw() {
    let (mut ex, sol, eth, trader, _) = with_small_eth();
    ex.advance(200);
    ex.set_oracle(eth, 3_000 * USD, 3 * USD, 200);
    ex.set_oracle(sol, 100 * USD, USD / 100, 0);
    assert_eq!(code(&ex.withdraw(&trader, 5 * USD as u64)), Some(6014), "frozen while the oracle is dead");
    let stranger = ex.user(0).kp;
    assert_eq!(code(&ex.settle_market(&stranger, eth, 2_900 * USD as u64)), Some(6005));
    let admin = ex.admin.insecure_clone();
    let exec = ex.settle_market(&admin, eth, 2_900 * USD as u64);
    ok(&exec);
    assert_eq!(events::<margin::events::MarketSettled>(&exec)[0].price, 2_900 * USD as i64);
    assert_eq!(code(&ex.settle_market(&admin, eth, 3_000 * USD as u64)), Some(6006), "settled once");
    // Valued at the settlement price whatever the oracle says: the owner withdraws, closes ETH,
    // and nobody opens more.
    ok(&ex.withdraw(&trader, 5 * USD as u64));
    assert_eq!(code(&ex.market_order(&trader, eth, ONE / 1_000)), Some(6016));
    assert_eq!(code(&ex.refresh(eth)), Some(6016));
    ok(&ex.market_order(&trader, eth, -ONE / 1_000));
    assert!(ex.margin_account(&trader.account).position_index(&ex.markets[eth].key).is_none());
    ex.assert_conserved();
}
