//! A randomized run: traders open and close positions and deposit (into healthy, flagged and
//! bankrupt accounts alike), prices walk and jump, oracles go dead and come back, keepers flag,
//! liquidate (the markets with a live price), unflag and resolve. After
//! every step the vaults hold exactly what the accounts say, no healthy account is ever liquidated,
//! every account below maintenance can be liquidated, and after every keeper pass no account is
//! left flagged at or above its liquidation-end level nor bankrupt without a deficit.
//! `SEQUENCE_SEED` and `SEQUENCE_STEPS` override the defaults.

mod harness;

use harness::*;
use margin::state::{AccountStatus, MarketParams};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// Uniform in [-1, 1] scaled by `scale` (integer).
    fn signed(&mut self, scale: i128) -> i128 {
        (self.below(2_000_001) as i128 - 1_000_000) * scale / 1_000_000
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Codes a random trade may legitimately be refused with.
const TRADE_REFUSALS: [u32; 5] = [6017, 6019, 6024, 6020, 6040];

#[test]
fn random_trading_prices_and_keepers_conserve_funds_and_liquidate_only_the_unhealthy() {
    let seed = env_u64("SEQUENCE_SEED", 0x00c0_ffee_1234_5678);
    let steps = env_u64("SEQUENCE_STEPS", 400);
    let mut rng = Rng(seed);
    let mut ex = Exchange::new();
    // A deep SOL pool and a shallow ETH one, so winners are sometimes haircut.
    let shallow = MarketParams::example(PYTH_RECEIVER, [0; 32]);
    let markets =
        [ex.add_market(100 * USD), ex.add_market_with(shallow, 3_000 * USD, 20_000 * USD as i64, 100_000 * USD as u64)];
    let mut prices = [100 * USD, 3_000 * USD];
    // A dead oracle keeps publishing nothing new: its account reads 200 s old at every step.
    let mut dead = [false, false];
    for m in markets {
        ok(&ex.refresh(m));
    }
    let users: Vec<User> = (0..16).map(|i| ex.user((500 + 1_500 * (i % 6)) as u64 * USD as u64)).collect();
    let keeper = ex.user(0);
    let (mut trades, mut refused, mut liquidations, mut bankruptcies) = (0, 0, 0, 0);
    let (mut deposits, mut flags, mut unflags, mut refused_unflags, mut owner_unflags, mut outages) =
        (0, 0, 0, 0, 0usize, 0usize);
    let mut claims_paid = 0u64;
    let mut pool_removals = 0usize;
    let mut claim_backed = 0usize;

    for step in 0..steps {
        match rng.below(100) {
            0..=49 => {
                let u = &users[rng.below(users.len() as u64) as usize];
                let m = rng.below(2) as usize;
                let account = ex.margin_account(&u.account);
                let held = account
                    .open_positions()
                    .find(|p| p.market == ex.markets[markets[m]].key)
                    .map(|p| p.base)
                    .unwrap_or(0);
                let base = if held != 0 && rng.below(3) == 0 {
                    // Reduce or close.
                    -held * (1 + rng.below(4) as i64) / 4
                } else {
                    // Open or add with up to ~10× the free margin (some of these are refused).
                    let h = ex.health(&u.account);
                    let free = (h.equity - h.initial).max(0);
                    let notional = free * (1 + rng.below(11) as i128);
                    let b = (notional * i128::from(ONE) / prices[m]) as i64;
                    if rng.below(2) == 0 {
                        -b
                    } else {
                        b
                    }
                };
                if base == 0 {
                    continue;
                }
                let flagged = account.status() == AccountStatus::BeingLiquidated;
                let exec = ex.market_order(u, markets[m], base);
                // A dead oracle in the traded market, or in another of the account's markets when
                // the trade adds risk, refuses it as stale.
                let touches_dead = dead[m]
                    || account
                        .open_positions()
                        .any(|p| dead[ex.markets.iter().position(|mi| mi.key == p.market).unwrap()]);
                let dead_refusal = touches_dead && code(&exec) == Some(6014);
                match code(&exec) {
                    _ if dead_refusal => refused += 1,
                    None if exec.result.is_ok() => {
                        trades += 1;
                        // A flagged owner's reduction carries the other positions: it unflags exactly
                        // when the liquidation-end level is back.
                        if flagged {
                            let expected = if ex.eligibility(&u.account).below_liquidation_end() {
                                AccountStatus::BeingLiquidated
                            } else {
                                AccountStatus::Healthy
                            };
                            assert_eq!(
                                ex.margin_account(&u.account).status(),
                                expected,
                                "step {step}: reduction by a flagged owner"
                            );
                            owner_unflags += usize::from(expected == AccountStatus::Healthy);
                        }
                    }
                    Some(c) if TRADE_REFUSALS.contains(&c) => refused += 1,
                    _ => panic!("step {step}: unexpected trade outcome {:?}\n{}", exec.result, exec.logs.join("\n")),
                }
            }
            50..=59 => {
                // A deposit, half the time carrying the position accounts that let it unflag.
                let u = &users[rng.below(users.len() as u64) as usize];
                let amount = (1 + rng.below(2_000)) * USD as u64;
                ex.mint_to(&u.token, amount);
                let before = ex.margin_account(&u.account);
                let remaining = if rng.below(2) == 0 { ex.remaining(&u.account, None) } else { vec![] };
                // Carrying every position's accounts, with at least one usable price (or none open).
                let any_live = before
                    .open_positions()
                    .any(|p| !dead[ex.markets.iter().position(|mi| mi.key == p.market).unwrap()]);
                let carried = (!remaining.is_empty() && any_live) || before.open_positions().next().is_none();
                ok(&ex.deposit_with(u, amount, remaining));
                deposits += 1;
                let after = ex.margin_account(&u.account);
                let h = ex.eligibility(&u.account);
                match before.status() {
                    AccountStatus::Bankrupt => {
                        let expected =
                            if after.collateral >= 0 { AccountStatus::Healthy } else { AccountStatus::Bankrupt };
                        assert_eq!(after.status(), expected, "step {step}: deposit into a bankrupt account");
                        owner_unflags += usize::from(expected == AccountStatus::Healthy);
                    }
                    AccountStatus::BeingLiquidated if carried => {
                        let expected = if h.below_liquidation_end() {
                            AccountStatus::BeingLiquidated
                        } else {
                            AccountStatus::Healthy
                        };
                        assert_eq!(after.status(), expected, "step {step}: deposit into a flagged account");
                        owner_unflags += usize::from(expected == AccountStatus::Healthy);
                    }
                    s => assert_eq!(after.status(), s, "step {step}: a deposit changed the status"),
                }
            }
            60..=79 => {
                ex.advance(1 + rng.below(5) as i64);
                // Outages are rare and short: one in 40 price steps kills a market's oracle, and a
                // dead one comes back with odds of one in three per step.
                for d in dead.iter_mut() {
                    if *d && rng.below(3) == 0 {
                        *d = false;
                    } else if !*d && rng.below(80) == 0 {
                        *d = true;
                        outages += 1;
                    }
                }
                for m in 0..2 {
                    let jump = rng.below(100);
                    let factor = if jump < 3 {
                        -150_000
                    } else if jump < 5 {
                        100_000
                    } else {
                        rng.signed(15_000)
                    };
                    prices[m] = (prices[m] * (1_000_000 + factor) / 1_000_000).max(USD);
                    if dead[m] {
                        ex.set_oracle(markets[m], prices[m], prices[m] / 2_000, 200);
                        continue;
                    }
                    ex.set_oracle(markets[m], prices[m], prices[m] / 2_000, 0);
                    let r = ex.refresh(markets[m]);
                    assert!(r.result.is_ok() || code(&r) == Some(6028), "refresh: {:?}", r.result);
                }
                // The shallow pool's provider sometimes takes half out (refused unless what stays
                // backs the traders' gains, claims and net position) and sometimes puts money in.
                match rng.below(10) {
                    0 => {
                        let half = ex.market(markets[1]).pool_balance / 2;
                        let e = ex.pool_liquidity(markets[1], -half.max(1));
                        assert!(e.result.is_ok() || code(&e) == Some(6029), "pool removal: {:?}", e.result);
                        pool_removals += usize::from(e.result.is_ok());
                    }
                    1 => ok(&ex.pool_liquidity(markets[1], 2_000 * USD as i64)),
                    _ => {}
                }
            }
            80..=87 => {
                // A keeper that only flags: the flagged accounts wait for the price, their owners or
                // the next liquidating pass.
                for account in ex.accounts.clone() {
                    let a = ex.margin_account(&account);
                    let h = ex.eligibility(&account);
                    if a.status() == AccountStatus::Healthy && h.below_maintenance() {
                        let all_dead = a
                            .open_positions()
                            .all(|p| dead[ex.markets.iter().position(|mi| mi.key == p.market).unwrap()]);
                        let exec = ex.flag(&account);
                        if all_dead {
                            assert_eq!(code(&exec), Some(6014), "step {step}: flagged with no usable price");
                        } else {
                            ok(&exec);
                            flags += 1;
                        }
                    }
                }
            }
            _ => {
                // Claims on pools are paid as far as the pools hold money, and refused otherwise.
                for account in ex.accounts.clone() {
                    for m in 0..2 {
                        let a = ex.margin_account(&account);
                        let claim = a.claim_slot(ex.market(m).index).map(|k| a.claims[k]).unwrap_or(0);
                        let pool = ex.market(m).pool_balance.max(0) as u64;
                        let exec = ex.settle_claim(&account, m);
                        if claim.min(pool) == 0 {
                            assert_eq!(code(&exec), Some(6039), "step {step}: nothing to pay");
                        } else {
                            ok(&exec);
                            claims_paid += claim.min(pool);
                        }
                    }
                }
                for account in ex.accounts.clone() {
                    if account == keeper.account {
                        continue;
                    }
                    let mut slices = 0;
                    loop {
                        let a = ex.margin_account(&account);
                        let h = ex.eligibility(&account);
                        let eligible = h.below_maintenance()
                            || (a.status() == AccountStatus::BeingLiquidated && h.below_liquidation_end());
                        // Only a market with a live price can be liquidated; a dead one waits.
                        let live = |p: &&margin::state::Position| {
                            !dead[ex.markets.iter().position(|mi| mi.key == p.market).unwrap()]
                        };
                        let Some(position) = a.open_positions().find(live).copied() else { break };
                        let m = ex.markets.iter().position(|mi| mi.key == position.market).unwrap();
                        // Any price: closing a long sells (minimum 0), closing a short buys (no maximum).
                        let limit = if position.base > 0 { 0 } else { u64::MAX };
                        let exec = ex.liquidate(&keeper, &account, m, limit);
                        if eligible {
                            assert!(
                                exec.result.is_ok(),
                                "step {step}: an unhealthy account could not be liquidated: {:?}\n{}",
                                exec.result,
                                exec.logs.join("\n")
                            );
                            liquidations += 1;
                            slices += 1;
                            assert!(slices < 100, "liquidation does not converge");
                        } else {
                            assert_eq!(code(&exec), Some(6022), "step {step}: a healthy account was liquidated");
                            break;
                        }
                    }
                    if ex.margin_account(&account).status() == AccountStatus::BeingLiquidated {
                        // Liquidation has nothing left to do here: the flag must be clearable,
                        // unless no position has a usable price (then it waits for one).
                        let exec = ex.unflag(&account);
                        let a = ex.margin_account(&account);
                        let all_dead = a.open_positions().next().is_some()
                            && a.open_positions()
                                .all(|p| dead[ex.markets.iter().position(|mi| mi.key == p.market).unwrap()]);
                        if all_dead {
                            assert_eq!(code(&exec), Some(6014), "step {step}: unflag with no usable price");
                            refused_unflags += 1;
                        } else if ex.eligibility(&account).below_liquidation_end() {
                            assert_eq!(
                                code(&exec),
                                Some(6033),
                                "step {step}: unflagged below the liquidation-end level"
                            );
                            refused_unflags += 1;
                        } else {
                            ok(&exec);
                            unflags += 1;
                        }
                    }
                    if ex.margin_account(&account).status() == AccountStatus::Bankrupt {
                        // What the account's claims back stays on it; the rest is charged.
                        let a = ex.margin_account(&account);
                        let backed = a.deficit().min(a.claims_total());
                        if backed == a.deficit() {
                            assert_eq!(
                                code(&ex.resolve(&account, 0)),
                                Some(6041),
                                "step {step}: a deficit its claims back"
                            );
                            claim_backed += 1;
                        } else {
                            ok(&ex.resolve(&account, 0));
                            bankruptcies += 1;
                            let after = ex.margin_account(&account);
                            assert_eq!(after.deficit(), backed, "step {step}: the claim-backed part stays");
                            let again = code(&ex.resolve(&account, 0));
                            assert_eq!(again, Some(if backed > 0 { 6041 } else { 6025 }));
                            claim_backed += usize::from(backed > 0);
                        }
                    }
                    let a = ex.margin_account(&account);
                    let h = ex.eligibility(&account);
                    match a.status() {
                        AccountStatus::BeingLiquidated => {
                            let waiting = a
                                .open_positions()
                                .all(|p| dead[ex.markets.iter().position(|mi| mi.key == p.market).unwrap()]);
                            assert!(h.below_liquidation_end() || waiting, "step {step}: stuck in liquidation: {h:?}");
                        }
                        AccountStatus::Bankrupt => {
                            let backed = a.deficit().min(a.claims_total());
                            assert!(backed == a.deficit() && backed > 0, "step {step}: bankrupt after resolution");
                        }
                        AccountStatus::Healthy => {}
                    }
                }
            }
        }
        ex.assert_conserved();
    }
    eprintln!(
        "sequence seed {seed:#x}: {steps} steps, {trades} trades ({refused} refused), {deposits} deposits, {flags} flags, {liquidations} liquidation steps, {unflags} keeper unflags ({refused_unflags} refused), {owner_unflags} by owners' deposits and reductions, {bankruptcies} bankruptcies, {outages} oracle outages, ${} of claims paid by settle_claim, {pool_removals} pool removals, {claim_backed} deficits left to claims",
        claims_paid / USD as u64
    );
    // Everything the accounts hold is backed: with live prices every owner closes out, every
    // bankruptcy is resolved, and every owner withdraws all that is left.
    for m in 0..2 {
        ex.advance(1);
        ex.set_oracle(markets[m], prices[m], prices[m] / 2_000, 0);
    }
    for u in &users {
        while let Some(p) = ex.margin_account(&u.account).open_positions().next().copied() {
            let m = ex.markets.iter().position(|mi| mi.key == p.market).unwrap();
            ok(&ex.market_order(u, m, -p.base));
        }
        // Claims are paid as far as the pools can, then any deficit left is resolved.
        for m in 0..2 {
            let _ = ex.settle_claim(&u.account, m);
        }
        if ex.margin_account(&u.account).collateral < 0 {
            let a = ex.margin_account(&u.account);
            if a.claims_total() >= a.deficit() {
                // Backed by claims the pools cannot pay yet: the provider funds the pool.
                for m in 0..2 {
                    ok(&ex.pool_liquidity(m, 100_000 * USD as i64));
                    let _ = ex.settle_claim(&u.account, m);
                }
            }
            if ex.margin_account(&u.account).collateral < 0 {
                ok(&ex.resolve(&u.account, 0));
            }
        }
        let left = ex.margin_account(&u.account).collateral as u64;
        if left > 0 {
            ok(&ex.withdraw(u, left));
        }
        // What the owner covered of earlier shortfalls is settled to the pools that are owed it.
        if !ex.margin_account(&u.account).deficit_record().is_empty() {
            ok(&ex.resolve(&u.account, 0));
        }
        ex.assert_conserved();
    }
    // Nothing left in the vault that no one owns: it is exactly the pools.
    let pools: i64 = (0..2).map(|m| ex.market(m).pool_balance).sum();
    assert_eq!(ex.token_balance(&ex.quote_vault) as i64, pools, "quote vault after the close-out");
    let haircuts: u64 = (0..2).map(|m| ex.market(m).total_haircut).sum();
    let claims: u64 = (0..2).map(|m| ex.market(m).total_claims).sum();
    eprintln!(
        "closed out: every owner withdrew in full; haircuts on winners ${}, of which ${} still claimed",
        haircuts / USD as u64,
        claims / USD as u64
    );
    assert!(trades > steps / 5, "the run traded ({trades})");
    assert!(liquidations > 0, "the run liquidated");
}
