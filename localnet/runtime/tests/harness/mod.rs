//! A margin exchange inside the native runtime, driven the way clients drive it: real
//! transactions, real SPL Token accounts, oracle accounts in the Pyth layouts.
#![allow(dead_code)]

use anchor_lang::{InstructionData, ToAccountMetas};
use localnet_runtime::{Executed, Pubkey, Runtime};
use margin::controller::health::{account_health, Health};
use margin::instructions::common::priced;
use margin::state::fixtures::price_update_v2;
use margin::state::{parse_price_update_v2, MarginAccount, Market, MarketParams};
use solana_account::Account;
use solana_instruction::error::InstructionError;
use solana_instruction::{AccountMeta, Instruction};
use solana_keypair::Keypair;
use solana_program_pack::Pack;
use solana_signer::Signer;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;

pub const PYTH_RECEIVER: Pubkey = solana_pubkey::pubkey!("rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ");
pub const USD: i128 = 1_000_000;
pub const ONE: i64 = 1_000_000_000;
const T0: i64 = 1_800_000_000;
const SYSTEM: Pubkey = solana_sdk_ids::system_program::ID;

pub struct MarketInfo {
    pub key: Pubkey,
    pub oracle: Pubkey,
    pub feed: [u8; 32],
}

pub struct User {
    pub kp: Keypair,
    pub token: Pubkey,
    pub account: Pubkey,
}

pub struct Exchange {
    pub rt: Runtime,
    pub admin: Keypair,
    pub admin_token: Pubkey,
    pub mint: Pubkey,
    pub exchange: Pubkey,
    pub quote_vault: Pubkey,
    pub insurance_vault: Pubkey,
    pub markets: Vec<MarketInfo>,
    pub now: i64,
    pub slot: u64,
    pub accounts: Vec<Pubkey>,
}

/// The custom error code of a failed transaction.
pub fn code(e: &Executed) -> Option<u32> {
    match &e.result {
        Err(TransactionError::InstructionError(_, InstructionError::Custom(c))) => Some(*c),
        _ => None,
    }
}

/// The program events of type `E` a transaction logged, in order.
pub fn events<E: anchor_lang::AnchorDeserialize + anchor_lang::Discriminator>(exec: &Executed) -> Vec<E> {
    use base64::Engine;
    exec.logs
        .iter()
        .filter_map(|l| l.strip_prefix("Program data: "))
        .map(|b| base64::engine::general_purpose::STANDARD.decode(b).unwrap())
        .filter(|d| d[..8] == *E::DISCRIMINATOR)
        .map(|d| E::deserialize(&mut &d[8..]).unwrap())
        .collect()
}

pub fn ok(e: &Executed) {
    assert!(e.result.is_ok(), "transaction failed: {:?}\n{}", e.result, e.logs.join("\n"));
}

fn ix(accounts: impl ToAccountMetas, data: impl InstructionData, remaining: Vec<AccountMeta>) -> Instruction {
    let mut metas = accounts.to_account_metas(None);
    metas.extend(remaining);
    Instruction { program_id: margin::ID, accounts: metas, data: data.data() }
}

impl Exchange {
    pub fn new() -> Self {
        let mut rt = Runtime::new();
        rt.set_clock(1_000, T0);
        let admin = Keypair::new();
        rt.svm_mut().airdrop(&admin.pubkey(), 1_000_000_000_000).unwrap();
        let mint = Keypair::new();
        let mut ex = Exchange {
            rt,
            admin,
            admin_token: Pubkey::default(),
            mint: mint.pubkey(),
            exchange: Pubkey::find_program_address(&[b"exchange", mint.pubkey().as_ref()], &margin::ID).0,
            quote_vault: Pubkey::default(),
            insurance_vault: Pubkey::default(),
            markets: vec![],
            now: T0,
            slot: 1_000,
            accounts: vec![],
        };
        ex.quote_vault = Pubkey::find_program_address(&[b"quote_vault", ex.exchange.as_ref()], &margin::ID).0;
        ex.insurance_vault = Pubkey::find_program_address(&[b"insurance_vault", ex.exchange.as_ref()], &margin::ID).0;
        let admin_pk = ex.admin.pubkey();
        let lamports = ex.rt.svm().minimum_balance_for_rent_exemption(spl_token::state::Mint::LEN);
        let create_mint = [
            solana_system_interface::instruction::create_account(
                &admin_pk,
                &mint.pubkey(),
                lamports,
                82,
                &spl_token::ID,
            ),
            spl_token::instruction::initialize_mint2(&spl_token::ID, &mint.pubkey(), &admin_pk, None, 6).unwrap(),
        ];
        ok(&ex.send(&[&mint], &create_mint));
        ex.admin_token = ex.token_account(&admin_pk, 1_000_000_000 * USD as u64);
        let init = ix(
            margin::accounts::InitializeExchange {
                admin: admin_pk,
                quote_mint: ex.mint,
                exchange: ex.exchange,
                quote_vault: ex.quote_vault,
                insurance_vault: ex.insurance_vault,
                token_program: spl_token::ID,
                system_program: SYSTEM,
            },
            margin::instruction::InitializeExchange {},
            vec![],
        );
        ok(&ex.send(&[], &[init]));
        ex
    }

    /// Signs with the admin (fee payer) plus `extra`.
    pub fn send(&mut self, extra: &[&Keypair], ixs: &[Instruction]) -> Executed {
        let mut signers: Vec<&Keypair> = vec![&self.admin];
        signers.extend_from_slice(extra);
        let blockhash = self.rt.new_blockhash();
        let tx = Transaction::new_signed_with_payer(ixs, Some(&self.admin.pubkey()), &signers, blockhash);
        self.rt.send(tx.into())
    }

    /// A token account of the quote mint owned by `owner`, holding `amount`.
    pub fn token_account(&mut self, owner: &Pubkey, amount: u64) -> Pubkey {
        let account = Keypair::new();
        let admin = self.admin.pubkey();
        let lamports = self.rt.svm().minimum_balance_for_rent_exemption(spl_token::state::Account::LEN);
        let mut ixs = vec![
            solana_system_interface::instruction::create_account(
                &admin,
                &account.pubkey(),
                lamports,
                165,
                &spl_token::ID,
            ),
            spl_token::instruction::initialize_account3(&spl_token::ID, &account.pubkey(), &self.mint, owner).unwrap(),
        ];
        if amount > 0 {
            ixs.push(
                spl_token::instruction::mint_to(&spl_token::ID, &self.mint, &account.pubkey(), &admin, &[], amount)
                    .unwrap(),
            );
        }
        ok(&self.send(&[&account], &ixs));
        account.pubkey()
    }

    /// Mints `amount` more quote tokens into `token`.
    pub fn mint_to(&mut self, token: &Pubkey, amount: u64) {
        let admin = self.admin.pubkey();
        let i = spl_token::instruction::mint_to(&spl_token::ID, &self.mint, token, &admin, &[], amount).unwrap();
        ok(&self.send(&[], &[i]));
    }

    pub fn token_balance(&self, key: &Pubkey) -> u64 {
        spl_token::state::Account::unpack(&self.rt.get_account(key).unwrap().data).unwrap().amount
    }

    /// Writes the oracle of market `m`: `price` and `conf` in PRICE_PRECISION, published `age_s` ago.
    pub fn set_oracle(&mut self, m: usize, price: i128, conf: i128, age_s: i64) {
        let info = &self.markets[m];
        let data = price_update_v2(info.feed, (price * 100) as i64, (conf * 100) as u64, -8, self.now - age_s, true);
        self.set_raw_oracle(info.oracle, PYTH_RECEIVER, data);
    }

    pub fn set_raw_oracle(&mut self, key: Pubkey, owner: Pubkey, data: Vec<u8>) {
        let lamports = self.rt.svm().minimum_balance_for_rent_exemption(data.len());
        self.rt
            .svm_mut()
            .set_account(key, Account { lamports, data, owner, executable: false, rent_epoch: 0 })
            .unwrap();
    }

    pub fn advance(&mut self, seconds: i64) {
        self.now += seconds;
        self.slot += (seconds.max(0) as u64) * 5 / 2;
        self.rt.set_clock(self.slot, self.now);
    }

    /// Creates a market with `params` (oracle owner and feed filled in), priced at `price`, with
    /// `pool` of pool liquidity and `insurance` in its insurance fund.
    pub fn add_market_with(&mut self, params: MarketParams, price: i128, pool: i64, insurance: u64) -> usize {
        let (exec, index) = self.create_market(params, price);
        ok(&exec);
        let key = self.markets[index].key;
        if pool > 0 {
            ok(&self.pool_liquidity(index, pool));
        }
        if insurance > 0 {
            let funder = self.admin.pubkey();
            let token = self.admin_token;
            let fund = ix(
                margin::accounts::FundInsurance {
                    funder,
                    exchange: self.exchange,
                    market: key,
                    funder_token: token,
                    insurance_vault: self.insurance_vault,
                    token_program: spl_token::ID,
                },
                margin::instruction::FundInsurance { amount: insurance },
                vec![],
            );
            ok(&self.send(&[], &[fund]));
        }
        index
    }

    /// Sends `create_market` for the next market index with a PriceUpdateV2 oracle at `price`.
    pub fn create_market(&mut self, mut params: MarketParams, price: i128) -> (Executed, usize) {
        let index = self.markets.len();
        let feed = [index as u8 + 1; 32];
        params.oracle_owner = PYTH_RECEIVER;
        params.feed_id = feed;
        let key = Pubkey::find_program_address(
            &[b"market", self.exchange.as_ref(), &(index as u16).to_le_bytes()],
            &margin::ID,
        )
        .0;
        self.markets.push(MarketInfo { key, oracle: Pubkey::new_unique(), feed });
        self.set_oracle(index, price, price / 2_000, 0);
        let info = &self.markets[index];
        let create = ix(
            margin::accounts::CreateMarket {
                admin: self.admin.pubkey(),
                exchange: self.exchange,
                market: key,
                oracle: info.oracle,
                system_program: SYSTEM,
            },
            margin::instruction::CreateMarket { params },
            vec![],
        );
        (self.send(&[], &[create]), index)
    }

    pub fn add_market(&mut self, price: i128) -> usize {
        self.add_market_with(
            MarketParams::example(PYTH_RECEIVER, [0; 32]),
            price,
            10_000_000 * USD as i64,
            100_000 * USD as u64,
        )
    }

    pub fn pool_liquidity(&mut self, m: usize, amount: i64) -> Executed {
        let i = ix(
            margin::accounts::PoolLiquidity {
                admin: self.admin.pubkey(),
                exchange: self.exchange,
                market: self.markets[m].key,
                admin_token: self.admin_token,
                quote_vault: self.quote_vault,
                token_program: spl_token::ID,
            },
            margin::instruction::PoolLiquidity { amount },
            vec![],
        );
        self.send(&[], &[i])
    }

    /// A funded user with a margin account holding `deposit`.
    pub fn user(&mut self, deposit: u64) -> User {
        let kp = Keypair::new();
        self.rt.svm_mut().airdrop(&kp.pubkey(), 10_000_000_000).unwrap();
        let token = self.token_account(&kp.pubkey(), deposit.max(1) * 2);
        let account =
            Pubkey::find_program_address(&[b"margin", self.exchange.as_ref(), kp.pubkey().as_ref()], &margin::ID).0;
        let create = ix(
            margin::accounts::CreateMarginAccount {
                owner: kp.pubkey(),
                exchange: self.exchange,
                margin_account: account,
                system_program: SYSTEM,
            },
            margin::instruction::CreateMarginAccount {},
            vec![],
        );
        ok(&self.send(&[&kp], &[create]));
        let user = User { kp, token, account };
        if deposit > 0 {
            ok(&self.deposit(&user, deposit));
        }
        self.accounts.push(account);
        user
    }

    pub fn deposit(&mut self, u: &User, amount: u64) -> Executed {
        self.deposit_with(u, amount, vec![])
    }

    /// A deposit carrying `remaining` (the `[market, oracle]` pairs that let it unflag the account).
    pub fn deposit_with(&mut self, u: &User, amount: u64, remaining: Vec<AccountMeta>) -> Executed {
        let i = ix(
            margin::accounts::Deposit {
                owner: u.kp.pubkey(),
                exchange: self.exchange,
                margin_account: u.account,
                user_token: u.token,
                quote_vault: self.quote_vault,
                token_program: spl_token::ID,
            },
            margin::instruction::Deposit { amount },
            remaining,
        );
        let kp = u.kp.insecure_clone();
        self.send(&[&kp], &[i])
    }

    pub fn withdraw(&mut self, u: &User, amount: u64) -> Executed {
        let token = u.token;
        self.withdraw_to(u, amount, token)
    }

    pub fn withdraw_to(&mut self, u: &User, amount: u64, user_token: Pubkey) -> Executed {
        let remaining = self.remaining(&u.account, None);
        let i = ix(
            margin::accounts::Withdraw {
                owner: u.kp.pubkey(),
                exchange: self.exchange,
                margin_account: u.account,
                user_token,
                quote_vault: self.quote_vault,
                token_program: spl_token::ID,
            },
            margin::instruction::Withdraw { amount },
            remaining,
        );
        let kp = u.kp.insecure_clone();
        self.send(&[&kp], &[i])
    }

    pub fn trade(&mut self, u: &User, m: usize, base_delta: i64, limit_price: u64) -> Executed {
        let market = self.markets[m].key;
        let remaining = self.remaining(&u.account, Some(market));
        let i = ix(
            margin::accounts::Trade {
                owner: u.kp.pubkey(),
                exchange: self.exchange,
                margin_account: u.account,
                market,
                oracle: self.markets[m].oracle,
            },
            margin::instruction::Trade { base_delta, limit_price },
            remaining,
        );
        let kp = u.kp.insecure_clone();
        self.send(&[&kp], &[i])
    }

    /// Buys (`base > 0`) or sells at any price.
    pub fn market_order(&mut self, u: &User, m: usize, base_delta: i64) -> Executed {
        self.trade(u, m, base_delta, if base_delta > 0 { u64::MAX } else { 0 })
    }

    pub fn refresh(&mut self, m: usize) -> Executed {
        let i = ix(
            margin::accounts::RefreshMarket { market: self.markets[m].key, oracle: self.markets[m].oracle },
            margin::instruction::RefreshMarket {},
            vec![],
        );
        self.send(&[], &[i])
    }

    pub fn settle_claim(&mut self, account: &Pubkey, m: usize) -> Executed {
        let i = ix(
            margin::accounts::SettleClaim {
                exchange: self.exchange,
                margin_account: *account,
                market: self.markets[m].key,
            },
            margin::instruction::SettleClaim {},
            vec![],
        );
        self.send(&[], &[i])
    }

    pub fn flag(&mut self, account: &Pubkey) -> Executed {
        let remaining = self.remaining(account, None);
        let i = ix(
            margin::accounts::FlagAccount { exchange: self.exchange, margin_account: *account },
            margin::instruction::FlagAccount {},
            remaining,
        );
        self.send(&[], &[i])
    }

    pub fn unflag(&mut self, account: &Pubkey) -> Executed {
        let remaining = self.remaining(account, None);
        let i = ix(
            margin::accounts::UnflagAccount { exchange: self.exchange, margin_account: *account },
            margin::instruction::UnflagAccount {},
            remaining,
        );
        self.send(&[], &[i])
    }

    pub fn propose_admin(&mut self, admin: &Keypair, new_admin: Pubkey) -> Executed {
        let i = ix(
            margin::accounts::ProposeAdmin { admin: admin.pubkey(), exchange: self.exchange },
            margin::instruction::ProposeAdmin { new_admin },
            vec![],
        );
        let kp = admin.insecure_clone();
        self.send(&[&kp], &[i])
    }

    pub fn accept_admin(&mut self, new_admin: &Keypair) -> Executed {
        let i = ix(
            margin::accounts::AcceptAdmin { new_admin: new_admin.pubkey(), exchange: self.exchange },
            margin::instruction::AcceptAdmin {},
            vec![],
        );
        let kp = new_admin.insecure_clone();
        self.send(&[&kp], &[i])
    }

    pub fn exchange_state(&self) -> margin::state::Exchange {
        use anchor_lang::AccountDeserialize;
        let data = self.rt.get_account(&self.exchange).unwrap().data;
        margin::state::Exchange::try_deserialize(&mut &data[..]).unwrap()
    }

    pub fn liquidate(&mut self, liquidator: &User, account: &Pubkey, m: usize, limit_price: u64) -> Executed {
        let token = liquidator.token;
        self.liquidate_to(liquidator, account, m, limit_price, token)
    }

    pub fn liquidate_to(
        &mut self,
        liquidator: &User,
        account: &Pubkey,
        m: usize,
        limit_price: u64,
        liquidator_token: Pubkey,
    ) -> Executed {
        let market = self.markets[m].key;
        let remaining = self.remaining(account, Some(market));
        let i = ix(
            margin::accounts::Liquidate {
                liquidator: liquidator.kp.pubkey(),
                exchange: self.exchange,
                margin_account: *account,
                market,
                oracle: self.markets[m].oracle,
                liquidator_token,
                quote_vault: self.quote_vault,
                insurance_vault: self.insurance_vault,
                token_program: spl_token::ID,
            },
            margin::instruction::Liquidate { limit_price },
            remaining,
        );
        let kp = liquidator.kp.insecure_clone();
        self.send(&[&kp], &[i])
    }

    /// `resolve_bankruptcy` with the markets the account's recorded losses charge (market `m` when
    /// it has no record).
    pub fn resolve(&mut self, account: &Pubkey, m: usize) -> Executed {
        let record = self.margin_account(account).deficit_record();
        let charged: Vec<usize> =
            if record.is_empty() { vec![m] } else { record.iter().map(|(index, _)| usize::from(*index)).collect() };
        self.resolve_with(account, &charged)
    }

    /// `resolve_bankruptcy` naming `markets` (first as `market`, the rest as remaining accounts).
    pub fn resolve_with(&mut self, account: &Pubkey, markets: &[usize]) -> Executed {
        let remaining = markets[1..].iter().map(|&k| AccountMeta::new(self.markets[k].key, false)).collect();
        let i = ix(
            margin::accounts::ResolveBankruptcy {
                caller: self.admin.pubkey(),
                exchange: self.exchange,
                margin_account: *account,
                market: self.markets[markets[0]].key,
                quote_vault: self.quote_vault,
                insurance_vault: self.insurance_vault,
                token_program: spl_token::ID,
            },
            margin::instruction::ResolveBankruptcy {},
            remaining,
        );
        self.send(&[], &[i])
    }

    /// `update_market` with `params` (oracle owner and feed filled in), signed by the admin.
    pub fn update_market(&mut self, m: usize, mut params: MarketParams) -> Executed {
        params.oracle_owner = PYTH_RECEIVER;
        params.feed_id = self.markets[m].feed;
        let i = ix(
            margin::accounts::UpdateMarket {
                admin: self.admin.pubkey(),
                exchange: self.exchange,
                market: self.markets[m].key,
            },
            margin::instruction::UpdateMarket { params },
            vec![],
        );
        self.send(&[], &[i])
    }

    /// Moves market `m` to a new oracle account (signed by `admin`); the harness prices from it after
    /// a success.
    pub fn set_market_oracle(&mut self, admin: &Keypair, m: usize, oracle: Pubkey) -> Executed {
        let i = ix(
            margin::accounts::SetMarketOracle {
                admin: admin.pubkey(),
                exchange: self.exchange,
                market: self.markets[m].key,
                oracle,
            },
            margin::instruction::SetMarketOracle {},
            vec![],
        );
        let kp = admin.insecure_clone();
        let exec = self.send(&[&kp], &[i]);
        if exec.result.is_ok() {
            self.markets[m].oracle = oracle;
        }
        exec
    }

    pub fn settle_market(&mut self, admin: &Keypair, m: usize, price: u64) -> Executed {
        let i = ix(
            margin::accounts::SettleMarket {
                admin: admin.pubkey(),
                exchange: self.exchange,
                market: self.markets[m].key,
            },
            margin::instruction::SettleMarket { price },
            vec![],
        );
        let kp = admin.insecure_clone();
        self.send(&[&kp], &[i])
    }

    /// Writes a PriceUpdateV2 for market `m`'s feed into `key` (any address).
    pub fn write_oracle_at(&mut self, key: Pubkey, m: usize, price: i128, age_s: i64) {
        let data = price_update_v2(
            self.markets[m].feed,
            (price * 100) as i64,
            (price / 2_000 * 100) as u64,
            -8,
            self.now - age_s,
            true,
        );
        self.set_raw_oracle(key, PYTH_RECEIVER, data);
    }

    pub fn set_paused(&mut self, m: Option<usize>, paused: bool) -> Executed {
        let i = ix(
            margin::accounts::SetPaused {
                admin: self.admin.pubkey(),
                exchange: self.exchange,
                market: m.map(|m| self.markets[m].key),
            },
            margin::instruction::SetPaused { paused },
            vec![],
        );
        self.send(&[], &[i])
    }

    pub fn margin_account(&self, key: &Pubkey) -> MarginAccount {
        let data = self.rt.get_account(key).unwrap().data;
        *bytemuck::from_bytes::<MarginAccount>(&data[8..8 + std::mem::size_of::<MarginAccount>()])
    }

    pub fn market(&self, m: usize) -> Market {
        let data = self.rt.get_account(&self.markets[m].key).unwrap().data;
        *bytemuck::from_bytes::<Market>(&data[8..8 + std::mem::size_of::<Market>()])
    }

    fn market_index(&self, key: &Pubkey) -> usize {
        self.markets.iter().position(|m| m.key == *key).unwrap()
    }

    /// `[market, oracle]` for every open position of `account` except `skip`, in position order.
    pub fn remaining(&self, account: &Pubkey, skip: Option<Pubkey>) -> Vec<AccountMeta> {
        let Some(acc) = self.rt.get_account(account) else { return vec![] };
        if acc.owner != margin::ID {
            return vec![];
        }
        let a = self.margin_account(account);
        a.open_positions()
            .filter(|p| Some(p.market) != skip)
            .flat_map(|p| {
                let m = &self.markets[self.market_index(&p.market)];
                [AccountMeta::new_readonly(m.key, false), AccountMeta::new_readonly(m.oracle, false)]
            })
            .collect()
    }

    /// The account's health as the program computes it for a liquidation, at the current oracle
    /// prices; a position whose oracle the liquidation limits refuse is valued at its fallback.
    pub fn health(&self, account: &Pubkey) -> Health {
        let a = self.margin_account(account);
        account_health(i128::from(a.collateral), &self.liquidation_positions(account)).unwrap()
    }

    /// The health the program judges flagging, liquidating and unflagging on (a position without
    /// a usable oracle at its holder view).
    pub fn eligibility(&self, account: &Pubkey) -> Health {
        let a = self.margin_account(account);
        margin::controller::health::eligibility_health(i128::from(a.collateral), &self.liquidation_positions(account))
            .unwrap()
    }

    fn liquidation_positions(&self, account: &Pubkey) -> Vec<margin::controller::health::PricedPosition> {
        let a = self.margin_account(account);
        a.open_positions()
            .map(|p| {
                let m = self.market_index(&p.market);
                let market = self.market(m);
                let data = self.rt.get_account(&self.markets[m].oracle).unwrap().data;
                let reading = parse_price_update_v2(&data, &self.markets[m].feed).unwrap();
                let limits =
                    margin::instructions::common::limits(&market, margin::instructions::common::Purpose::Liquidate);
                if margin::controller::oracle_guard::check(&reading, self.now, limits).is_ok() {
                    return priced(p, &market, &reading);
                }
                let conf_ratio = i128::from(market.max_conf_ratio_liquidate);
                let risk = margin::instructions::common::market_risk(&market);
                let refused = Some((reading.price, reading.conf));
                margin::controller::health::unpriced_position(
                    i128::from(p.base),
                    i128::from(p.quote_entry),
                    i128::from(market.last_oracle_price),
                    conf_ratio,
                    refused,
                    risk,
                )
                .unwrap()
                .expect("a market with an accepted price")
            })
            .collect()
    }

    /// Quote vault = Σ positive collateral + Σ pool balances + what accounts covered of their
    /// recorded shortfalls (owed to those pools, paid at their next fill or resolution); every
    /// deficit within its record; insurance vault = Σ insurance balances; nothing below zero.
    pub fn assert_conserved(&self) {
        let mut collateral = 0i128;
        let mut covered = 0i128;
        for k in &self.accounts {
            let a = self.margin_account(k);
            let recorded: i128 = a.shortfall_amounts().iter().sum();
            assert!(recorded >= a.deficit(), "{k}: deficit {} beyond its record {recorded}", a.deficit());
            collateral += i128::from(a.collateral).max(0);
            covered += recorded - a.deficit();
        }
        let pools: i128 = (0..self.markets.len()).map(|m| i128::from(self.market(m).pool_balance)).sum();
        let insurance: i128 = (0..self.markets.len()).map(|m| i128::from(self.market(m).insurance_balance)).sum();
        for m in 0..self.markets.len() {
            let market = self.market(m);
            let claims: u64 = self
                .accounts
                .iter()
                .map(|k| {
                    let a = self.margin_account(k);
                    a.claim_slot(market.index).map(|i| a.claims[i]).unwrap_or(0)
                })
                .sum();
            assert_eq!(claims, market.total_claims, "market {m}: Σ claims vs the market's total");
            assert!(market.pool_balance >= 0, "market {m}: pool below zero: {}", market.pool_balance);
            assert!(market.insurance_balance >= 0, "market {m}: insurance below zero: {}", market.insurance_balance);
        }
        assert_eq!(
            i128::from(self.token_balance(&self.quote_vault)),
            collateral + pools + covered,
            "quote vault vs positive collateral + pools + covered shortfalls"
        );
        assert_eq!(
            i128::from(self.token_balance(&self.insurance_vault)),
            insurance,
            "insurance vault vs insurance funds"
        );
    }
}
