//! Money adds up: no pool below zero (a winner the pool cannot pay in full is haircut, on record),
//! a loss the collateral cannot pay is never credited to a pool (so no winner is paid with it) but
//! recorded as the account's shortfall in that market, deficits charged to the markets of that
//! record, and pool liquidity kept while it backs traders' gains.

mod harness;

use harness::*;
use margin::events::{BankruptcyResolved, ClaimChanged, PoolHaircut};
use margin::state::MarginAccount;
use margin::state::{AccountStatus, MarketParams};

fn params() -> MarketParams {
    MarketParams::example(PYTH_RECEIVER, [0; 32])
}

#[test]
fn a_deficit_is_charged_to_the_market_whose_liquidation_produced_it_not_the_callers_choice() {
    let mut ex = Exchange::new();
    let sol = ex.add_market(100 * USD);
    let eth = ex.add_market(3_000 * USD);
    let trader = ex.user(1_000 * USD as u64);
    let liquidator = ex.user(0);
    ok(&ex.market_order(&trader, sol, 90 * ONE));
    ex.set_oracle(sol, 85 * USD, USD / 100, 0);
    ok(&ex.liquidate(&liquidator, &trader.account, sol, 0));
    let deficit = -ex.margin_account(&trader.account).collateral;
    assert!(deficit > 0);
    let record = ex.margin_account(&trader.account).deficit_record();
    assert_eq!(record.len(), 1);
    assert_eq!(record[0].0, sol as u16);
    assert!(record[0].1 as i64 >= deficit);
    let (sol_before, eth_before) = (ex.market(sol).insurance_balance, ex.market(eth).insurance_balance);
    // ETH never traded with this account: it cannot be made to pay.
    assert_eq!(code(&ex.resolve_with(&trader.account, &[eth])), Some(6027));
    let exec = ex.resolve(&trader.account, eth);
    ok(&exec);
    let resolved = events::<BankruptcyResolved>(&exec);
    assert_eq!(resolved.len(), 1);
    assert_eq!((resolved[0].market, resolved[0].deficit as i64), (ex.markets[sol].key, deficit));
    assert_eq!(ex.market(sol).insurance_balance, sol_before - deficit);
    assert_eq!(ex.market(eth).insurance_balance, eth_before);
    assert!(ex.margin_account(&trader.account).deficit_record().is_empty());
    ex.assert_conserved();
}

/// $1,000 on 45 SOL at $100 and 1.5 ETH at $3,000; SOL falls to $73 (−$1,215) and ETH to $2,600
/// (−$600): both losses exceed what the collateral can pay when they close.
fn two_market_crash() -> (Exchange, usize, usize, User, User) {
    let mut ex = Exchange::new();
    let sol = ex.add_market(100 * USD);
    let eth = ex.add_market(3_000 * USD);
    let trader = ex.user(1_000 * USD as u64);
    let liquidator = ex.user(0);
    ok(&ex.market_order(&trader, sol, 45 * ONE));
    ok(&ex.market_order(&trader, eth, 3 * ONE / 2));
    ex.set_oracle(sol, 73 * USD, USD / 100, 0);
    ex.set_oracle(eth, 2_600 * USD, USD, 0);
    (ex, sol, eth, trader, liquidator)
}

fn recorded(a: &MarginAccount) -> u64 {
    a.deficit_record().iter().map(|(_, s)| s).sum()
}

#[test]
fn a_deficit_from_losses_in_two_markets_is_split_between_them_in_proportion() {
    let (mut ex, sol, eth, trader, liquidator) = two_market_crash();
    while ex.margin_account(&trader.account).open_positions().next().is_some() {
        let m =
            if ex.margin_account(&trader.account).position_index(&ex.markets[sol].key).is_some() { sol } else { eth };
        ok(&ex.liquidate(&liquidator, &trader.account, m, 0));
    }
    let a = ex.margin_account(&trader.account);
    assert_eq!(a.status(), AccountStatus::Bankrupt);
    let record = a.deficit_record();
    assert_eq!(record.len(), 2, "{record:?}");
    let deficit = -a.collateral;
    let total = recorded(&a);
    let exec = ex.resolve(&trader.account, sol);
    ok(&exec);
    let resolved = events::<BankruptcyResolved>(&exec);
    assert_eq!(resolved.iter().map(|r| r.deficit as i64).sum::<i64>(), deficit);
    for (r, (index, loss)) in resolved.iter().zip(&record) {
        assert_eq!(r.market, ex.markets[usize::from(*index)].key);
        let proportional = i128::from(deficit) * i128::from(*loss) / i128::from(total);
        assert!((i128::from(r.deficit) - proportional).abs() <= 1, "{} vs {proportional}", r.deficit);
    }
    ex.assert_conserved();
}

#[test]
fn naming_fewer_markets_than_the_record_charges_is_refused() {
    let (mut ex, sol, eth, trader, liquidator) = two_market_crash();
    ok(&ex.liquidate(&liquidator, &trader.account, sol, 0));
    ok(&ex.liquidate(&liquidator, &trader.account, eth, 0));
    assert_eq!(ex.margin_account(&trader.account).deficit_record().len(), 2);
    assert_eq!(code(&ex.resolve_with(&trader.account, &[sol])), Some(6026));
    assert_eq!(code(&ex.resolve_with(&trader.account, &[eth, sol])), Some(6027), "out of record order");
    ok(&ex.resolve_with(&trader.account, &[sol, eth]));
}

#[test]
fn a_winner_the_pool_cannot_pay_in_full_is_haircut_and_the_pool_stays_at_zero() {
    let mut ex = Exchange::new();
    // $600 backs the $5,000 long (10%); at $120 the ~$1,000 gain is more than the pool holds.
    let m = ex.add_market_with(params(), 100 * USD, 600 * USD as i64, 0);
    let trader = ex.user(1_000 * USD as u64);
    ok(&ex.market_order(&trader, m, 50 * ONE));
    ex.set_oracle(m, 120 * USD, USD / 100, 0);
    let before = ex.margin_account(&trader.account).collateral;
    let pool = ex.market(m).pool_balance;
    let exec = ex.market_order(&trader, m, -50 * ONE);
    ok(&exec);
    let cut = events::<PoolHaircut>(&exec).pop().expect("a PoolHaircut record");
    assert_eq!(cut.paid as i64, pool);
    assert!(cut.owed > 900 * USD as u64 && cut.haircut == cut.owed - cut.paid);
    assert_eq!(ex.market(m).pool_balance, 0);
    assert_eq!(ex.market(m).total_haircut, cut.haircut);
    assert_eq!(ex.margin_account(&trader.account).collateral, before + pool);
    ex.assert_conserved();
}

#[test]
fn a_winner_is_never_paid_with_a_bankrupt_accounts_unpaid_loss() {
    let mut ex = Exchange::new();
    // $11 of insurance: the liquidator's $10 bounty, then $1 for the deficit.
    let m = ex.add_market_with(params(), 100 * USD, 1_000 * USD as i64, 11 * USD as u64);
    let loser = ex.user(1_000 * USD as u64);
    let winner = ex.user(2_000 * USD as u64);
    let liquidator = ex.user(0);
    ok(&ex.refresh(m));
    ok(&ex.market_order(&loser, m, 90 * ONE));
    ok(&ex.market_order(&winner, m, -90 * ONE));
    // The two sides net to nothing: the pool needs no capital for them, only what each side could
    // gain within the liquidation confidence limit (~$350); it keeps $400.
    ok(&ex.pool_liquidity(m, -600 * USD as i64));
    ex.set_oracle(m, 80 * USD, USD / 100, 0);
    let pool_before = ex.market(m).pool_balance;
    ok(&ex.liquidate(&liquidator, &loser.account, m, 0));
    let a = ex.margin_account(&loser.account);
    assert_eq!(a.status(), AccountStatus::Bankrupt);
    // The ~$1,800 loss: only the $1,000 the collateral held reached the pool; the rest is recorded.
    assert_eq!(ex.market(m).pool_balance, pool_before + 1_000 * USD as i64);
    assert!(recorded(&a) as i64 >= -a.collateral && -a.collateral > 700 * USD as i64);
    ex.assert_conserved();
    // The short won ~$1,800 but the pool holds ~$1,400: it pays that and the rest is a haircut.
    let exec = ex.market_order(&winner, m, 90 * ONE);
    ok(&exec);
    let cut = events::<PoolHaircut>(&exec).pop().expect("a haircut");
    assert_eq!(cut.paid as i64, pool_before + 1_000 * USD as i64);
    assert_eq!(ex.market(m).pool_balance, 0);
    ex.assert_conserved();
    // Resolution: the $1 of insurance goes to the pool, the rest of the deficit is forgone.
    let deficit = -ex.margin_account(&loser.account).collateral;
    let exec = ex.resolve(&loser.account, m);
    ok(&exec);
    let r = events::<BankruptcyResolved>(&exec).pop().unwrap();
    assert_eq!(
        (r.deficit as i64, r.insurance_paid, r.socialized_loss as i64),
        (deficit, USD as u64, deficit - USD as i64)
    );
    assert_eq!(ex.market(m).pool_balance, USD as i64 + (recorded_before(&r) as i64));
    ex.assert_conserved();
}

fn recorded_before(r: &BankruptcyResolved) -> u64 {
    r.pool_credit - r.insurance_paid
}

#[test]
fn pool_liquidity_stays_while_it_backs_traders_gains() {
    let mut ex = Exchange::new();
    let m = ex.add_market_with(params(), 100 * USD, 10_000 * USD as i64, 0);
    let trader = ex.user(1_000 * USD as u64);
    ok(&ex.refresh(m));
    ok(&ex.market_order(&trader, m, 50 * ONE));
    ex.advance(1);
    ex.set_oracle(m, 110 * USD, USD / 100, 0);
    ok(&ex.refresh(m));
    // The trader is up ~$500 at $110; at least that must stay.
    let pool = ex.market(m).pool_balance;
    assert_eq!(code(&ex.pool_liquidity(m, -pool)), Some(6029));
    assert_eq!(code(&ex.pool_liquidity(m, -(pool - 500 * USD as i64))), Some(6029));
    // Valued against the pool at $110 + 2% (the liquidation confidence limit): ~$608, plus the
    // capital the $5,500 net long needs (10%, the smallest initial ratio): ~$1,158 stays.
    assert_eq!(code(&ex.pool_liquidity(m, -(pool - 610 * USD as i64))), Some(6029));
    assert_eq!(code(&ex.pool_liquidity(m, -(pool - 1_150 * USD as i64))), Some(6029));
    ok(&ex.pool_liquidity(m, -(pool - 1_165 * USD as i64)));
    ex.assert_conserved();
}

#[test]
fn one_sides_losses_do_not_free_the_liquidity_that_backs_the_other_sides_gains() {
    let mut ex = Exchange::new();
    let m = ex.add_market_with(params(), 100 * USD, 10_000 * USD as i64, 0);
    let long = ex.user(1_000 * USD as u64);
    let short = ex.user(1_000 * USD as u64);
    ok(&ex.refresh(m));
    ok(&ex.market_order(&long, m, 50 * ONE));
    ok(&ex.market_order(&short, m, -50 * ONE));
    ex.advance(1);
    ex.set_oracle(m, 110 * USD, USD / 100, 0);
    ok(&ex.refresh(m));
    // Net open interest is zero, yet the long is up ~$500: that much stays in the pool.
    let pool = ex.market(m).pool_balance;
    assert_eq!(code(&ex.pool_liquidity(m, -pool)), Some(6029));
    ok(&ex.pool_liquidity(m, -(pool - 700 * USD as i64)));
    ex.assert_conserved();
}

#[test]
fn a_covered_shortfall_is_settled_to_the_pool_it_is_owed_to() {
    // Long SOL and short ETH; the owner closes ETH at a loss larger than the collateral (a
    // reduction needs no margin check), then SOL at a gain that covers it.
    let mut ex = Exchange::new();
    let sol = ex.add_market(100 * USD);
    let eth = ex.add_market(3_000 * USD);
    let trader = ex.user(1_000 * USD as u64);
    ok(&ex.market_order(&trader, sol, 40 * ONE));
    ok(&ex.market_order(&trader, eth, -ONE));
    ex.set_oracle(sol, 150 * USD, USD / 100, 0);
    ex.set_oracle(eth, 5_000 * USD, USD, 0);
    ok(&ex.market_order(&trader, eth, ONE));
    let a = ex.margin_account(&trader.account);
    assert!(
        a.collateral < 0 && a.deficit_record() == vec![(eth as u16, a.deficit() as u64)],
        "{:?}",
        a.deficit_record()
    );
    ok(&ex.market_order(&trader, sol, -40 * ONE));
    let a = ex.margin_account(&trader.account);
    assert!(a.collateral > 0);
    let owed = a.deficit_record()[0].1 as i64;
    let eth_pool = ex.market(eth).pool_balance;
    ex.assert_conserved();
    ok(&ex.resolve(&trader.account, eth));
    assert_eq!(ex.market(eth).pool_balance, eth_pool + owed);
    assert!(ex.margin_account(&trader.account).deficit_record().is_empty());
    let left = ex.margin_account(&trader.account).collateral as u64;
    ok(&ex.withdraw(&trader, left));
    ex.assert_conserved();
}

#[test]
fn a_winner_haircut_while_a_solvent_account_owed_the_pool_is_paid_once_the_pool_is() {
    // A: long SOL, short ETH; ETH rises, A closes ETH at a loss its collateral cannot pay (its SOL
    // gain keeps it solvent): the ETH pool is not credited the unpaid part. B, long ETH, closes and
    // the pool cannot pay all its winnings. When A's SOL gain covers its shortfall and it is settled
    // to the ETH pool, B's claim is paid from it: the haircut was not permanent.
    let mut ex = Exchange::new();
    let sol = ex.add_market(100 * USD);
    let eth = ex.add_market_with(params(), 3_000 * USD, 500 * USD as i64, 0);
    let a = ex.user(1_000 * USD as u64);
    let b = ex.user(1_000 * USD as u64);
    ok(&ex.market_order(&a, sol, 40 * ONE));
    ok(&ex.market_order(&a, eth, -ONE));
    ok(&ex.market_order(&b, eth, ONE));
    ex.set_oracle(sol, 150 * USD, USD / 100, 0);
    ex.set_oracle(eth, 5_000 * USD, USD, 0);
    ok(&ex.market_order(&a, eth, ONE));
    assert!(ex.margin_account(&a.account).collateral < 0);
    let exec = ex.market_order(&b, eth, -ONE);
    ok(&exec);
    let cut = events::<PoolHaircut>(&exec).pop().expect("a haircut");
    let claim = events::<ClaimChanged>(&exec).pop().expect("recorded as a claim");
    assert_eq!((claim.recorded, claim.paid, claim.outstanding), (cut.haircut, 0, cut.haircut));
    assert_eq!(ex.market(eth).total_claims, cut.haircut);
    // Nothing to pay it with yet.
    assert_eq!(code(&ex.settle_claim(&b.account, eth)), Some(6039));
    // Pool liquidity cannot leave ahead of the claim.
    assert_eq!(code(&ex.pool_liquidity(eth, -1)), Some(6029));
    ex.assert_conserved();
    // A closes SOL; its covered shortfall is settled to the ETH pool, which pays B.
    ok(&ex.market_order(&a, sol, -40 * ONE));
    ok(&ex.resolve(&a.account, eth));
    let b_before = ex.margin_account(&b.account).collateral;
    let exec = ex.settle_claim(&b.account, eth);
    ok(&exec);
    let paid = events::<ClaimChanged>(&exec).pop().unwrap();
    assert!(paid.paid > 0 && paid.outstanding == cut.haircut - paid.paid, "{} of {}", paid.paid, cut.haircut);
    assert_eq!(ex.margin_account(&b.account).collateral, b_before + paid.paid as i64);
    assert_eq!(ex.market(eth).total_claims, paid.outstanding);
    ex.assert_conserved();
}

#[test]
fn a_bankrupt_accounts_claims_back_its_deficit_before_insurance_pays_it() {
    // T holds a claim of ~$390 on A's pool, then goes bankrupt in B with a larger deficit. Only
    // the part the claim does not back is charged to B's insurance; the rest stays on T until A's
    // pool pays the claim, which then goes to B's pool.
    let mut ex = Exchange::new();
    let a = ex.add_market_with(params(), 100 * USD, 600 * USD as i64, 0);
    let b = ex.add_market(100 * USD);
    let t = ex.user(1_000 * USD as u64);
    let liquidator = ex.user(0);
    ok(&ex.market_order(&t, a, 50 * ONE));
    ok(&ex.market_order(&t, b, 30 * ONE));
    ex.set_oracle(a, 120 * USD, USD / 100, 0);
    let exec = ex.market_order(&t, a, -50 * ONE);
    ok(&exec);
    let claim = events::<ClaimChanged>(&exec).pop().expect("a claim").outstanding;
    ex.set_oracle(b, 30 * USD, USD / 100, 0);
    while ex.margin_account(&t.account).open_positions().next().is_some() {
        ok(&ex.liquidate(&liquidator, &t.account, b, 0));
    }
    let deficit = ex.margin_account(&t.account).deficit() as u64;
    assert!(deficit > claim, "deficit {deficit} vs claim {claim}");
    let insurance = ex.market(b).insurance_balance;
    let exec = ex.resolve(&t.account, b);
    ok(&exec);
    let r = events::<BankruptcyResolved>(&exec).pop().unwrap();
    assert_eq!(r.deficit, deficit - claim);
    assert_eq!(ex.market(b).insurance_balance, insurance - (deficit - claim) as i64);
    let after = ex.margin_account(&t.account);
    assert_eq!((after.collateral, after.status()), (-(claim as i64), AccountStatus::Bankrupt));
    assert_eq!(after.deficit_record(), vec![(b as u16, claim)]);
    ex.assert_conserved();
    // Nothing more to charge while the claim backs the rest.
    assert_eq!(code(&ex.resolve(&t.account, b)), Some(6041));
    // A's pool receives money: the claim covers the deficit and the account is healthy again; what
    // it covered goes to B's pool.
    ok(&ex.pool_liquidity(a, 2_000 * USD as i64));
    ok(&ex.settle_claim(&t.account, a));
    let after = ex.margin_account(&t.account);
    assert_eq!((after.collateral, after.status()), (0, AccountStatus::Healthy));
    let pool_b = ex.market(b).pool_balance;
    ok(&ex.resolve(&t.account, b));
    assert_eq!(ex.market(b).pool_balance, pool_b + claim as i64);
    assert!(ex.margin_account(&t.account).deficit_record().is_empty());
    ex.assert_conserved();
}

#[test]
fn claims_are_paid_before_later_winners() {
    // X holds a claim on a drained pool; the provider adds $500; Y, a later winner, closes first.
    // Y is paid only from what the pool holds beyond the claims, so the $500 goes to X.
    let mut ex = Exchange::new();
    let a = ex.add_market_with(params(), 100 * USD, 1_000 * USD as i64, 0);
    let x = ex.user(1_000 * USD as u64);
    let y = ex.user(1_000 * USD as u64);
    ok(&ex.market_order(&x, a, 50 * ONE));
    ok(&ex.market_order(&y, a, 40 * ONE));
    ex.set_oracle(a, 140 * USD, USD / 100, 0);
    let exec = ex.market_order(&x, a, -50 * ONE);
    ok(&exec);
    let claim = events::<ClaimChanged>(&exec).pop().unwrap().outstanding;
    assert!(claim > 500 * USD as u64 && ex.market(a).pool_balance == 0);
    ok(&ex.pool_liquidity(a, 500 * USD as i64));
    let exec = ex.market_order(&y, a, -40 * ONE);
    ok(&exec);
    let cut = events::<PoolHaircut>(&exec).pop().unwrap();
    assert_eq!(cut.paid, 0, "the $500 backs X's earlier claim");
    let exec = ex.settle_claim(&x.account, a);
    ok(&exec);
    assert_eq!(events::<ClaimChanged>(&exec).pop().unwrap().paid, 500 * USD as u64);
    ex.assert_conserved();
}
