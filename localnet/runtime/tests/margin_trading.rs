//! Markets, trading and withdrawals through the native runtime: each instruction's success path
//! and its refusals, asserted by error code.

mod harness;

use harness::*;
use margin::state::fixtures::{legacy_push, price_update_v2};
use margin::state::{MarketParams, OracleLayout, LEGACY_STATUS_TRADING};
use solana_signer::Signer;

const PRICE: i128 = 100 * USD;

fn exchange_with_market() -> (Exchange, usize) {
    let mut ex = Exchange::new();
    let m = ex.add_market(PRICE);
    (ex, m)
}

#[test]
fn creates_a_market_with_its_pool_and_insurance_fund() {
    let (ex, m) = exchange_with_market();
    let market = ex.market(m);
    assert_eq!(market.pool_balance, 10_000_000 * USD as i64);
    assert_eq!(market.insurance_balance, 100_000 * USD as i64);
    assert_eq!(market.tier_count, 3);
    assert_eq!(ex.token_balance(&ex.insurance_vault), 100_000 * USD as u64);
    ex.assert_conserved();
}

#[test]
fn a_market_holds_sixteen_brackets_and_margins_a_large_position_in_its_own() {
    let mut ex = Exchange::new();
    let mut params = MarketParams::example(PYTH_RECEIVER, [0; 32]);
    // Brackets doubling from $50k: 6%/4% + 2%/1% per bracket, the widest table a market holds.
    params.tiers = (0..16u32)
        .map(|k| margin::state::TierParams {
            notional_upper: 50_000_000_000u64 << k,
            initial_ratio: 60_000 + 20_000 * k,
            maintenance_ratio: 40_000 + 10_000 * k,
        })
        .collect();
    let m = ex.add_market_with(params, PRICE, 1_000_000_000 * USD as i64, 0);
    let market = ex.market(m);
    assert_eq!((market.tier_count, market.tiers().len()), (16, 16));
    let trader = ex.user(5_000_000 * USD as u64);
    // $3.2M of notional sits in the seventh bracket ($3.2M–$6.4M).
    ok(&ex.market_order(&trader, m, 32_000 * ONE));
    let h = ex.health(&trader.account);
    let n = 3_200_000 * USD;
    let expected =
        margin::math::margin::tier_requirement(n, &market.tiers(), margin::math::margin::Requirement::Maintenance)
            .unwrap();
    assert_eq!(h.maintenance, expected);
    // Continuous across brackets: between the first bracket's 4% and this one's marginal 10%.
    assert!(h.maintenance > n * 40_000 / 1_000_000 && h.maintenance < n * 100_000 / 1_000_000, "{}", h.maintenance);
    ex.assert_conserved();
}

#[test]
fn an_old_price_costs_a_spread_that_grows_with_its_age_and_reductions_do_not_pay_it() {
    let (mut ex, m) = exchange_with_market();
    let fresh = ex.user(10_000 * USD as u64);
    let stale = ex.user(10_000 * USD as u64);
    let paid = |ex: &Exchange, u: &User| -ex.margin_account(&u.account).positions[0].quote_entry;
    ex.set_oracle(m, PRICE, USD / 100, 0);
    ok(&ex.market_order(&fresh, m, 10 * ONE));
    let fresh_cost = paid(&ex, &fresh);
    ok(&ex.market_order(&fresh, m, -10 * ONE));
    ex.set_oracle(m, PRICE, USD / 100, 25);
    ok(&ex.market_order(&stale, m, 10 * ONE));
    // 25 s of age cost 0.02% a second more than a fresh price: 0.5%, $5 on $1,000.
    let stale_cost = paid(&ex, &stale);
    assert_eq!(stale_cost - fresh_cost, 5 * USD as i64, "{stale_cost} vs {fresh_cost}");
    // Closing it on the same old price pays the impact only.
    let before = ex.margin_account(&stale.account).collateral;
    ok(&ex.market_order(&stale, m, -10 * ONE));
    let back = ex.margin_account(&stale.account).collateral - before;
    assert!(back > -stale_cost - 10 * USD as i64 && back < 0, "{back}");
}

#[test]
fn splitting_an_order_saves_nothing_on_impact() {
    let (mut ex, m) = exchange_with_market();
    let whole = ex.user(1_000_000 * USD as u64);
    let split = ex.user(1_000_000 * USD as u64);
    ok(&ex.market_order(&whole, m, 20_000 * ONE));
    ok(&ex.market_order(&whole, m, -20_000 * ONE));
    let cost_whole = 1_000_000 * USD as i64 - ex.margin_account(&whole.account).collateral;
    for _ in 0..10 {
        ok(&ex.market_order(&split, m, 2_000 * ONE));
    }
    ok(&ex.market_order(&split, m, -20_000 * ONE));
    let cost_split = 1_000_000 * USD as i64 - ex.margin_account(&split.account).collateral;
    // Ten pieces pay what one order pays, to within the rounding of each piece.
    assert!((cost_split - cost_whole).abs() <= 20, "{cost_split} vs {cost_whole}");
    assert!(cost_whole > 0);
}

#[test]
fn refuses_unsafe_market_parameters() {
    let mut ex = Exchange::new();
    let mut params = MarketParams::example(PYTH_RECEIVER, [0; 32]);
    params.liquidator_fee_ratio = 60_000; // fees above the 5% maintenance ratio
    let (exec, _) = ex.create_market(params, PRICE);
    assert_eq!(code(&exec), Some(6006));
    assert!(exec.logs.iter().any(|l| l.contains("invalid market parameters")), "{:?}", exec.logs);
}

#[test]
fn only_the_admin_updates_a_market() {
    let (mut ex, m) = exchange_with_market();
    let intruder = ex.user(0);
    let mut params = MarketParams::example(PYTH_RECEIVER, ex.markets[m].feed);
    params.liquidation_buffer_ratio = 20_000;
    let i = solana_instruction::Instruction {
        program_id: margin::ID,
        accounts: anchor_lang::ToAccountMetas::to_account_metas(
            &margin::accounts::UpdateMarket {
                admin: intruder.kp.pubkey(),
                exchange: ex.exchange,
                market: ex.markets[m].key,
            },
            None,
        ),
        data: anchor_lang::InstructionData::data(&margin::instruction::UpdateMarket { params: params.clone() }),
    };
    let kp = intruder.kp.insecure_clone();
    assert_eq!(code(&ex.send(&[&kp], std::slice::from_ref(&i))), Some(6005));
    let mut admin_ix = i;
    admin_ix.accounts[0].pubkey = ex.admin.pubkey();
    ok(&ex.send(&[], &[admin_ix]));
    assert_eq!(ex.market(m).liquidation_buffer_ratio, 20_000);
}

#[test]
fn opens_increases_reduces_and_closes_a_position() {
    let (mut ex, m) = exchange_with_market();
    let u = ex.user(2_000 * USD as u64);
    ok(&ex.market_order(&u, m, 10 * ONE)); // 10 long at ~$100: $1,000 notional, 10% initial = $100
    ok(&ex.market_order(&u, m, 5 * ONE));
    assert_eq!(ex.margin_account(&u.account).positions[0].base, 15 * ONE);
    assert_eq!(ex.market(m).long_open_interest, 15 * ONE as u64);
    ex.set_oracle(m, 110 * USD, USD / 100, 0);
    ok(&ex.market_order(&u, m, -5 * ONE));
    ok(&ex.market_order(&u, m, -10 * ONE));
    let a = ex.margin_account(&u.account);
    assert!(!a.positions[0].is_open(), "position closed");
    // Bought 15 at ~100.05, sold at ~109.95: about +148 realized.
    assert!(a.collateral > 2_140 * USD as i64 && a.collateral < 2_150 * USD as i64, "{}", a.collateral);
    assert_eq!(ex.market(m).long_open_interest, 0);
    ex.assert_conserved();
}

#[test]
fn refuses_a_trade_past_the_limit_price() {
    let (mut ex, m) = exchange_with_market();
    let u = ex.user(2_000 * USD as u64);
    // Buying pays the impact: a limit at the oracle price is too low.
    assert_eq!(code(&ex.trade(&u, m, ONE, PRICE as u64)), Some(6018));
    ok(&ex.trade(&u, m, ONE, (PRICE + USD) as u64));
}

#[test]
fn refuses_a_trade_beyond_the_initial_requirement() {
    let (mut ex, m) = exchange_with_market();
    let u = ex.user(100 * USD as u64);
    // $100 buys at most ~$1,000 of notional at 10% initial margin.
    assert_eq!(code(&ex.market_order(&u, m, 11 * ONE)), Some(6017));
    ok(&ex.market_order(&u, m, 9 * ONE));
}

#[test]
fn refuses_stale_and_uncertain_prices_for_opening() {
    let (mut ex, m) = exchange_with_market();
    let u = ex.user(2_000 * USD as u64);
    ex.set_oracle(m, PRICE, USD / 10, 31); // 31 s old; opening allows 30
    assert_eq!(code(&ex.market_order(&u, m, ONE)), Some(6014));
    ex.set_oracle(m, PRICE, 2 * USD, 0); // 2% confidence; opening allows 1%
    assert_eq!(code(&ex.market_order(&u, m, ONE)), Some(6015));
    ex.set_oracle(m, PRICE, USD / 10, 0);
    ok(&ex.market_order(&u, m, ONE));
    // Reducing uses the liquidation limits: 60 s old is fine, 121 s is not.
    ex.set_oracle(m, PRICE, USD / 10, 60);
    ok(&ex.market_order(&u, m, -ONE / 2));
    ex.set_oracle(m, PRICE, USD / 10, 121);
    assert_eq!(code(&ex.market_order(&u, m, -ONE / 2)), Some(6014));
}

#[test]
fn refuses_the_wrong_oracle_account_owner_or_feed() {
    let (mut ex, m) = exchange_with_market();
    let u = ex.user(2_000 * USD as u64);
    let oracle = ex.markets[m].oracle;
    let feed = ex.markets[m].feed;
    let now = ex.now;

    // Another account in the oracle's place.
    let real = std::mem::replace(&mut ex.markets[m].oracle, solana_pubkey::Pubkey::new_unique());
    ex.set_oracle(m, PRICE, USD / 10, 0);
    assert_eq!(code(&ex.market_order(&u, m, ONE)), Some(6007));
    ex.markets[m].oracle = real;

    // The right address owned by another program.
    ex.set_raw_oracle(
        oracle,
        solana_pubkey::Pubkey::new_unique(),
        price_update_v2(feed, 10_000_000_000, 0, -8, now, true),
    );
    assert_eq!(code(&ex.market_order(&u, m, ONE)), Some(6008));

    // Another feed, and a partially verified update.
    ex.set_raw_oracle(oracle, PYTH_RECEIVER, price_update_v2([99; 32], 10_000_000_000, 0, -8, now, true));
    assert_eq!(code(&ex.market_order(&u, m, ONE)), Some(6009));
    ex.set_raw_oracle(oracle, PYTH_RECEIVER, price_update_v2(feed, 10_000_000_000, 0, -8, now, false));
    assert_eq!(code(&ex.market_order(&u, m, ONE)), Some(6011));
    ex.set_raw_oracle(oracle, PYTH_RECEIVER, vec![1, 2, 3]);
    assert_eq!(code(&ex.market_order(&u, m, ONE)), Some(6010));
}

#[test]
fn reads_the_legacy_push_layout() {
    let mut ex = Exchange::new();
    let legacy_program = solana_pubkey::Pubkey::new_unique();
    let mut params = MarketParams::example(PYTH_RECEIVER, [0; 32]);
    params.oracle_layout = OracleLayout::LegacyPush;
    // add_market_with writes a PriceUpdateV2 first; create the market by hand with a legacy account.
    let oracle = solana_pubkey::Pubkey::new_unique();
    ex.set_raw_oracle(oracle, legacy_program, legacy_push(1_000_000_000, 100_000, -7, ex.now, LEGACY_STATUS_TRADING));
    params.oracle_owner = legacy_program;
    let key = solana_pubkey::Pubkey::find_program_address(
        &[b"market", ex.exchange.as_ref(), &0u16.to_le_bytes()],
        &margin::ID,
    )
    .0;
    let create = solana_instruction::Instruction {
        program_id: margin::ID,
        accounts: anchor_lang::ToAccountMetas::to_account_metas(
            &margin::accounts::CreateMarket {
                admin: ex.admin.pubkey(),
                exchange: ex.exchange,
                market: key,
                oracle,
                system_program: solana_sdk_ids::system_program::ID,
            },
            None,
        ),
        data: anchor_lang::InstructionData::data(&margin::instruction::CreateMarket { params }),
    };
    ok(&ex.send(&[], &[create]));
    ex.markets.push(MarketInfo { key, oracle, feed: [0; 32] });
    ok(&ex.pool_liquidity(0, 1_000_000 * USD as i64));
    let u = ex.user(1_000 * USD as u64);
    let exec = ex.market_order(&u, 0, ONE);
    ok(&exec);
    assert_eq!(ex.margin_account(&u.account).positions[0].base, ONE);
    // A halted legacy price is refused.
    ex.set_raw_oracle(oracle, legacy_program, legacy_push(1_000_000_000, 100_000, -7, ex.now, 2));
    assert_eq!(code(&ex.market_order(&u, 0, ONE)), Some(6012));
}

#[test]
fn a_paused_market_still_lets_positions_be_reduced() {
    let (mut ex, m) = exchange_with_market();
    let u = ex.user(2_000 * USD as u64);
    ok(&ex.market_order(&u, m, 4 * ONE));
    ok(&ex.set_paused(Some(m), true));
    assert_eq!(code(&ex.market_order(&u, m, ONE)), Some(6016));
    ok(&ex.market_order(&u, m, -ONE));
    ok(&ex.set_paused(Some(m), false));
    ok(&ex.set_paused(None, true));
    assert_eq!(code(&ex.market_order(&u, m, ONE)), Some(6016));
    assert_eq!(code(&ex.withdraw(&u, USD as u64)), Some(6016));
    ok(&ex.market_order(&u, m, -ONE));
    ok(&ex.deposit(&u, USD as u64));
}

#[test]
fn a_withdrawal_must_keep_the_initial_requirement() {
    let (mut ex, m) = exchange_with_market();
    let u = ex.user(1_000 * USD as u64);
    ok(&ex.market_order(&u, m, 50 * ONE)); // $5,000 notional: $500 initial
    assert_eq!(code(&ex.withdraw(&u, 600 * USD as u64)), Some(6017));
    ok(&ex.withdraw(&u, 400 * USD as u64));
    assert_eq!(code(&ex.withdraw(&u, 10_000 * USD as u64)), Some(6001));
    ex.assert_conserved();
}

#[test]
fn positions_in_several_markets_are_margined_together() {
    let mut ex = Exchange::new();
    let sol = ex.add_market(100 * USD);
    let btc = ex.add_market(50_000 * USD);
    let u = ex.user(1_000 * USD as u64);
    ok(&ex.market_order(&u, sol, 50 * ONE)); // $5,000: $500 initial
                                             // Another $5,000 in BTC would need $1,000 in total: refused.
    assert_eq!(code(&ex.market_order(&u, btc, ONE / 10)), Some(6017));
    ok(&ex.market_order(&u, btc, ONE / 20)); // $2,500: $750 in total
                                             // Leaving out the other market's accounts is refused.
    let market = ex.markets[btc].key;
    let i = solana_instruction::Instruction {
        program_id: margin::ID,
        accounts: anchor_lang::ToAccountMetas::to_account_metas(
            &margin::accounts::Trade {
                owner: u.kp.pubkey(),
                exchange: ex.exchange,
                margin_account: u.account,
                market,
                oracle: ex.markets[btc].oracle,
            },
            None,
        ),
        data: anchor_lang::InstructionData::data(&margin::instruction::Trade {
            base_delta: ONE / 100,
            limit_price: u64::MAX,
        }),
    };
    let kp = u.kp.insecure_clone();
    assert_eq!(code(&ex.send(&[&kp], &[i])), Some(6026));
}

#[test]
fn overflow_sized_inputs_fail_cleanly() {
    let (mut ex, m) = exchange_with_market();
    let u = ex.user(1_000 * USD as u64);
    let huge = ex.market_order(&u, m, i64::MAX);
    assert!(matches!(code(&huge), Some(6002) | Some(6017) | Some(6019)), "{:?}", huge.result);
    let min = ex.market_order(&u, m, i64::MIN);
    assert!(matches!(code(&min), Some(6002) | Some(6017) | Some(6019)), "{:?}", min.result);
    assert_eq!(code(&ex.deposit(&u, u64::MAX)), Some(1)); // SPL Token: insufficient funds
    ex.assert_conserved();
}

#[test]
fn refresh_folds_new_prices_into_the_volatility_add_on() {
    let (mut ex, m) = exchange_with_market();
    ok(&ex.refresh(m));
    assert_eq!(code(&ex.refresh(m)), Some(6028), "same observation twice");
    ex.advance(1);
    ex.set_oracle(m, 110 * USD, USD / 100, 0);
    ok(&ex.refresh(m));
    let market = ex.market(m);
    // A 10% move in 1 s: variance 0.001 × 0.1² → volatility 0.316% → a 4.7% add-on (15×), phased in
    // at 0.05 points per second from this observation on.
    assert_eq!(market.ewma_variance, 10_000_000);
    assert_eq!(market.vol_addon_ratio, 0);
    ex.advance(4);
    ex.set_oracle(m, 110 * USD, USD / 100, 0);
    ok(&ex.refresh(m));
    assert_eq!(ex.market(m).vol_addon_ratio, 2_000);
}

#[test]
fn refreshing_at_the_extremes_of_a_path_does_not_liquidate_an_account_at_its_opening_price() {
    let (mut ex, m) = exchange_with_market();
    let trader = ex.user(1_000 * USD as u64);
    let keeper = ex.user(0);
    ok(&ex.refresh(m));
    // 9.5× long at $100: maintenance 5% of $9,500 is $475 against ~$995 of equity.
    ok(&ex.market_order(&trader, m, 95 * ONE));
    // Someone refreshes only at the extremes of a ±10% path, every second for 20 s.
    for t in 1..=20 {
        ex.advance(1);
        ex.set_oracle(m, if t % 2 == 1 { 110 * USD } else { PRICE }, USD / 100, 0);
        ok(&ex.refresh(m));
    }
    // Back at the opening price: the add-on rose at most 1 point, the account stays healthy.
    assert!(ex.market(m).vol_addon_ratio <= 10_000, "{}", ex.market(m).vol_addon_ratio);
    assert!(!ex.health(&trader.account).below_maintenance());
    assert_eq!(code(&ex.liquidate(&keeper, &trader.account, m, 0)), Some(6022));
}
