//! No account stays stuck and no payout is lost: flags clear once the account is back at its
//! liquidation-end level, a covered bankruptcy returns to healthy, withdrawals never hang on a
//! deposit counter, vaults are refused as destinations, prices from the future or older than the
//! market's newest are refused for opening, and the admin changes hands in two steps.

mod harness;

use harness::*;
use margin::events::AccountUnflagged;
use margin::state::AccountStatus;
use solana_keypair::Keypair;
use solana_signer::Signer;

/// A trader 9× long 90 SOL at $100 with $1,000, flagged at $93.5 (equity ≈ $410, maintenance
/// ≈ $421, liquidation-end ≈ $505), and a liquidator.
fn flagged() -> (Exchange, usize, User, User) {
    let mut ex = Exchange::new();
    let m = ex.add_market(100 * USD);
    let trader = ex.user(1_000 * USD as u64);
    ok(&ex.market_order(&trader, m, 90 * ONE));
    let liquidator = ex.user(0);
    ex.set_oracle(m, 93_500_000, USD / 100, 0);
    ok(&ex.flag(&trader.account));
    assert_eq!(ex.margin_account(&trader.account).status(), AccountStatus::BeingLiquidated);
    (ex, m, trader, liquidator)
}

fn status(ex: &Exchange, u: &User) -> AccountStatus {
    ex.margin_account(&u.account).status()
}

#[test]
fn an_owner_who_closes_his_position_while_flagged_is_unflagged_and_can_withdraw() {
    let (mut ex, m, trader, _) = flagged();
    let exec = ex.market_order(&trader, m, -90 * ONE);
    ok(&exec);
    let unflagged = events::<AccountUnflagged>(&exec);
    assert_eq!(unflagged.len(), 1);
    assert_eq!(
        (unflagged[0].margin_account, unflagged[0].liquidation_id, unflagged[0].status_before),
        (trader.account, 1, 1)
    );
    assert_eq!(status(&ex, &trader), AccountStatus::Healthy);
    let left = ex.margin_account(&trader.account).collateral as u64;
    assert!(left > 0);
    ok(&ex.withdraw(&trader, left));
    ex.assert_conserved();
}

#[test]
fn a_reduction_keeps_the_flag_until_the_liquidation_end_level_is_back() {
    let (mut ex, m, trader, _) = flagged();
    // 10 of 90 SOL: the end level drops by ~$56 to ~$449, equity stays ~$409: still below.
    let exec = ex.market_order(&trader, m, -10 * ONE);
    ok(&exec);
    assert!(events::<AccountUnflagged>(&exec).is_empty());
    assert!(ex.health(&trader.account).below_liquidation_end());
    assert_eq!(status(&ex, &trader), AccountStatus::BeingLiquidated);
    // 30 more: the end level falls to ~$281, under the equity.
    let exec = ex.market_order(&trader, m, -30 * ONE);
    ok(&exec);
    assert!(!ex.health(&trader.account).below_liquidation_end());
    assert_eq!(events::<AccountUnflagged>(&exec).len(), 1);
    assert_eq!(status(&ex, &trader), AccountStatus::Healthy);
}

#[test]
fn anyone_unflags_an_account_whose_price_recovered_and_only_then() {
    let (mut ex, m, trader, liquidator) = flagged();
    assert_eq!(code(&ex.unflag(&trader.account)), Some(6033), "still below the liquidation-end level");
    ex.set_oracle(m, 100 * USD, USD / 100, 0);
    // Nothing to liquidate any more, and until now nothing could clear the flag.
    assert_eq!(code(&ex.liquidate(&liquidator, &trader.account, m, 0)), Some(6022));
    let exec = ex.unflag(&trader.account);
    ok(&exec);
    let e = &events::<AccountUnflagged>(&exec)[0];
    assert!(e.equity >= e.liquidation_end_requirement);
    assert_eq!(status(&ex, &trader), AccountStatus::Healthy);
    assert_eq!(code(&ex.unflag(&trader.account)), Some(6032), "not flagged any more");
    // Trading and withdrawing work again; a new fall starts a new liquidation.
    ok(&ex.market_order(&trader, m, ONE));
    ok(&ex.withdraw(&trader, USD as u64));
    ex.set_oracle(m, 93 * USD, USD / 100, 0);
    ok(&ex.flag(&trader.account));
    assert_eq!(ex.margin_account(&trader.account).liquidation_id, 2);
}

#[test]
fn an_unflag_needs_every_position_priced() {
    let (mut ex, _, trader, _) = flagged();
    let i = anchor_lang::InstructionData::data(&margin::instruction::UnflagAccount {});
    let metas = anchor_lang::ToAccountMetas::to_account_metas(
        &margin::accounts::UnflagAccount { exchange: ex.exchange, margin_account: trader.account },
        None,
    );
    let ix = solana_instruction::Instruction { program_id: margin::ID, accounts: metas, data: i };
    assert_eq!(code(&ex.send(&[], &[ix])), Some(6026));
}

#[test]
fn a_deposit_that_restores_the_level_unflags_when_it_carries_the_positions() {
    let (mut ex, _, trader, _) = flagged();
    // Without the position accounts the deposit lands and the flag stays for `unflag_account`.
    let exec = ex.deposit(&trader, 200 * USD as u64);
    ok(&exec);
    assert!(events::<AccountUnflagged>(&exec).is_empty());
    assert_eq!(status(&ex, &trader), AccountStatus::BeingLiquidated);
    let remaining = ex.remaining(&trader.account, None);
    let exec = ex.deposit_with(&trader, 200 * USD as u64, remaining);
    ok(&exec);
    assert_eq!(events::<AccountUnflagged>(&exec).len(), 1);
    assert_eq!(status(&ex, &trader), AccountStatus::Healthy);
    ex.assert_conserved();
}

#[test]
fn a_deposit_that_covers_a_bankruptcy_returns_the_account_to_healthy() {
    let mut ex = Exchange::new();
    let m = ex.add_market(100 * USD);
    let trader = ex.user(1_000 * USD as u64);
    let liquidator = ex.user(0);
    ok(&ex.market_order(&trader, m, 90 * ONE));
    ex.set_oracle(m, 85 * USD, USD / 100, 0);
    ok(&ex.liquidate(&liquidator, &trader.account, m, 0));
    assert_eq!(status(&ex, &trader), AccountStatus::Bankrupt);
    let deficit = -ex.margin_account(&trader.account).collateral as u64;

    // Part of the deficit: still bankrupt, and resolution pays only what is left.
    ok(&ex.deposit(&trader, deficit / 2));
    assert_eq!(status(&ex, &trader), AccountStatus::Bankrupt);
    // The rest and $10 more: nothing left to resolve, the owner trades and withdraws again.
    let exec = ex.deposit(&trader, deficit - deficit / 2 + 10 * USD as u64);
    ok(&exec);
    assert_eq!(events::<AccountUnflagged>(&exec)[0].status_before, AccountStatus::Bankrupt as u8);
    let a = ex.margin_account(&trader.account);
    assert_eq!((a.collateral, a.status()), (10 * USD as i64, AccountStatus::Healthy));
    // What the owner covered of the loss the pool was never credited: anyone settles it to the pool.
    let (pool, owed) = (ex.market(m).pool_balance, a.deficit_record()[0].1);
    ok(&ex.resolve(&trader.account, m));
    assert_eq!(ex.market(m).pool_balance, pool + owed as i64);
    assert_eq!(ex.margin_account(&trader.account).collateral, 10 * USD as i64);
    assert_eq!(code(&ex.resolve(&trader.account, m)), Some(6025), "nothing left to settle");
    ok(&ex.withdraw(&trader, 10 * USD as u64));
    ex.assert_conserved();
}

#[test]
fn every_depositor_withdraws_in_full_after_traders_won_from_the_pool() {
    let mut ex = Exchange::new();
    let m = ex.add_market(100 * USD);
    let saver = ex.user(1_000 * USD as u64);
    let winner = ex.user(1_000 * USD as u64);
    ok(&ex.market_order(&winner, m, 50 * ONE));
    ex.set_oracle(m, 120 * USD, USD / 100, 0);
    ok(&ex.market_order(&winner, m, -50 * ONE));
    let won = ex.margin_account(&winner.account).collateral as u64;
    assert!(won > 1_900 * USD as u64, "the trade won about $1,000: {won}");
    ok(&ex.withdraw(&winner, won));
    // Deposits minus withdrawals is now negative; the saver's money is still there.
    ok(&ex.withdraw(&saver, 1_000 * USD as u64));
    assert_eq!(ex.exchange_state().total_collateral, 0);
    ex.assert_conserved();
}

#[test]
fn the_program_vaults_are_refused_as_payout_destinations() {
    let mut ex = Exchange::new();
    let m = ex.add_market(100 * USD);
    let trader = ex.user(1_000 * USD as u64);
    let liquidator = ex.user(0);
    let (quote_vault, insurance_vault) = (ex.quote_vault, ex.insurance_vault);
    assert_eq!(code(&ex.withdraw_to(&trader, USD as u64, quote_vault)), Some(6034));
    assert_eq!(code(&ex.withdraw_to(&trader, USD as u64, insurance_vault)), Some(6034));
    ok(&ex.market_order(&trader, m, 90 * ONE));
    ex.set_oracle(m, 93_500_000, USD / 100, 0);
    assert_eq!(code(&ex.liquidate_to(&liquidator, &trader.account, m, 0, insurance_vault)), Some(6034));
    assert_eq!(code(&ex.liquidate_to(&liquidator, &trader.account, m, 0, quote_vault)), Some(6034));
    ok(&ex.liquidate(&liquidator, &trader.account, m, 0));
    ex.assert_conserved();
}

#[test]
fn a_publish_time_ahead_of_the_clock_is_refused_and_blocks_nothing() {
    let mut ex = Exchange::new();
    let m = ex.add_market(100 * USD);
    let trader = ex.user(1_000 * USD as u64);
    ex.advance(10);
    ex.set_oracle(m, 100 * USD, USD / 100, -60);
    assert_eq!(code(&ex.market_order(&trader, m, ONE)), Some(6035));
    assert_eq!(code(&ex.refresh(m)), Some(6035));
    // A few seconds ahead is clock lag, not a future price.
    ex.set_oracle(m, 100 * USD, USD / 100, -5);
    ok(&ex.market_order(&trader, m, ONE));
    // The refused price was never recorded: the next honest price refreshes at once.
    ex.advance(1);
    ex.set_oracle(m, 100 * USD, USD / 100, 0);
    ok(&ex.refresh(m));
}

#[test]
fn a_price_older_than_the_markets_newest_cannot_open_but_can_reduce() {
    let mut ex = Exchange::new();
    let m = ex.add_market(100 * USD);
    let trader = ex.user(1_000 * USD as u64);
    ok(&ex.market_order(&trader, m, ONE));
    ex.advance(10);
    ex.set_oracle(m, 101 * USD, USD / 100, 0);
    ok(&ex.refresh(m));
    // The oracle account is put back to an older (still under 30 s) price.
    ex.set_oracle(m, 100 * USD, USD / 100, 5);
    assert_eq!(code(&ex.market_order(&trader, m, ONE)), Some(6014));
    ok(&ex.market_order(&trader, m, -ONE / 2));
}

#[test]
fn the_admin_changes_hands_only_when_the_proposed_key_accepts() {
    let mut ex = Exchange::new();
    let admin = ex.admin.insecure_clone();
    let next = Keypair::new();
    let stranger = Keypair::new();
    ex.rt.svm_mut().airdrop(&next.pubkey(), 1_000_000_000).unwrap();
    ex.rt.svm_mut().airdrop(&stranger.pubkey(), 1_000_000_000).unwrap();
    assert_eq!(code(&ex.propose_admin(&stranger, stranger.pubkey())), Some(6005));
    ok(&ex.propose_admin(&admin, next.pubkey()));
    let state = ex.exchange_state();
    assert_eq!((state.admin, state.pending_admin, state.version), (admin.pubkey(), next.pubkey(), 2));
    assert_eq!(code(&ex.accept_admin(&stranger)), Some(6036));
    ok(&ex.accept_admin(&next));
    let state = ex.exchange_state();
    assert_eq!((state.admin, state.pending_admin), (next.pubkey(), solana_pubkey::Pubkey::default()));
    assert_eq!(code(&ex.accept_admin(&next)), Some(6036), "a proposal is accepted once");
    assert_eq!(code(&ex.propose_admin(&admin, admin.pubkey())), Some(6005), "the old admin is out");
    ok(&ex.propose_admin(&next, admin.pubkey()));
}
