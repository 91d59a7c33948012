//! Account plumbing shared by the handlers: oracle reads with the market's limits, loading the
//! other positions' markets and oracles from the remaining accounts, vault transfers.

use anchor_lang::prelude::*;
use anchor_spl::token::{self, Transfer};

use crate::controller::fill::Fill;
use crate::controller::health::{eligibility_health, unpriced_position, Backing, MarketRisk, PricedPosition};
use crate::controller::liquidation::{bankruptcy_cleared, unflag_eligible};
use crate::controller::oracle_guard::{self, OracleLimits};
use crate::controller::pool::pool_liability;
use crate::errors::MarginError;
use crate::events::{emit_event, AccountUnflagged, ClaimChanged, PoolHaircut};
use crate::math::checked::to_i64;
use crate::state::*;

/// Which oracle limits apply: the strict ones for adding risk or withdrawing, the lenient ones
/// for liquidating and reducing risk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    AddRisk,
    Liquidate,
}

pub fn limits(market: &Market, purpose: Purpose) -> OracleLimits {
    match purpose {
        Purpose::AddRisk => OracleLimits {
            max_age_s: i64::from(market.max_oracle_age_open_s),
            max_conf_ratio: i128::from(market.max_conf_ratio_open),
        },
        Purpose::Liquidate => OracleLimits {
            max_age_s: i64::from(market.max_oracle_age_liquidate_s),
            max_conf_ratio: i128::from(market.max_conf_ratio_liquidate),
        },
    }
}

/// Parses the oracle account in the market's layout (checking its address and owner), without
/// freshness checks.
pub fn parse_oracle(market: &Market, oracle: &AccountInfo) -> Result<OracleReading> {
    Ok(oracle_price(market, oracle, None)??)
}

/// The oracle's reading, checked for `purpose` when one is given. The outer error is a wrong
/// account (address, owner, unreadable data); the inner one says why this price cannot be used.
/// Adding risk also needs a price no older than the newest one the market has observed
/// (`refresh_market`): an old price cannot open a position after a newer one is known.
fn oracle_price(
    market: &Market,
    oracle: &AccountInfo,
    check: Option<(i64, Purpose)>,
) -> Result<core::result::Result<OracleReading, MarginError>> {
    require!(oracle.key() == market.oracle, MarginError::WrongOracleAccount);
    if market.is_settled() {
        // A settled market prices at its settlement, certain and always current.
        let now = check.map(|(now, _)| now).unwrap_or(market.last_oracle_publish_time);
        return Ok(Ok(OracleReading { price: i128::from(market.settlement_price), conf: 0, publish_time: now }));
    }
    require!(*oracle.owner == market.oracle_owner, MarginError::WrongOracleOwner);
    let data = oracle.try_borrow_data()?;
    let reading = match market.oracle_layout() {
        OracleLayout::PriceUpdateV2 => parse_price_update_v2(&data, &market.feed_id),
        OracleLayout::LegacyPush => parse_legacy_push(&data),
    };
    Ok(reading.and_then(|r| {
        let Some((now, purpose)) = check else { return Ok(r) };
        oracle_guard::check(&r, now, limits(market, purpose))?;
        if purpose == Purpose::AddRisk && r.publish_time < market.last_oracle_publish_time {
            return Err(MarginError::StaleOracle);
        }
        Ok(r)
    }))
}

/// A fresh, certain-enough price for `purpose`.
pub fn read_oracle(market: &Market, oracle: &AccountInfo, now: i64, purpose: Purpose) -> Result<OracleReading> {
    Ok(oracle_price(market, oracle, Some((now, purpose)))??)
}

/// Price refusals that value the position conservatively instead of failing the whole account.
fn falls_back(refusal: MarginError) -> bool {
    matches!(
        refusal,
        MarginError::StaleOracle
            | MarginError::OracleTooUncertain
            | MarginError::OracleFromFuture
            | MarginError::OracleNotTrading
            | MarginError::InvalidOraclePrice
    )
}

pub fn market_risk(market: &Market) -> MarketRisk {
    MarketRisk {
        tiers: market.tiers(),
        addon_ratio: i128::from(market.vol_addon_ratio),
        buffer_ratio: i128::from(market.liquidation_buffer_ratio),
    }
}

pub fn priced(position: &Position, market: &Market, reading: &OracleReading) -> PricedPosition {
    PricedPosition::new(
        i128::from(position.base),
        i128::from(position.quote_entry),
        reading.price,
        reading.conf,
        market_risk(market),
    )
}

/// What `market`'s pool holds beyond its traders' unpaid claims, against what it owes their open
/// positions at `price` (each side's aggregate gain, `controller::pool::pool_liability`).
pub fn market_backing(market: &Market, price: i128) -> Result<Backing> {
    let gains = pool_liability(
        i128::from(market.long_open_interest),
        i128::from(market.short_open_interest),
        i128::from(market.quote_entry_sum_long),
        i128::from(market.quote_entry_sum_short),
        price,
        0,
    )?;
    // What the pool holds beyond the claims it already owes.
    let free = i128::from(market.pool_balance) - i128::from(market.total_claims);
    Ok(Backing { pool_balance: free.max(0), liability: gains })
}

/// The move a pool must be able to pay its traders' net position for: the market's smallest
/// initial ratio (`controller::pool::skew_capital`).
pub fn skew_stress_ratio(market: &Market) -> i128 {
    market.tiers().first().map(|t| t.initial_ratio).unwrap_or(0)
}

/// A position priced for adding risk or withdrawing: its gain counts only as far as its pool backs
/// it, so no one withdraws, or opens risk, against winnings the pool could not pay.
pub fn priced_backed(position: &Position, market: &Market, reading: &OracleReading) -> Result<PricedPosition> {
    Ok(PricedPosition { backing: Some(market_backing(market, reading.price)?), ..priced(position, market, reading) })
}

/// Prices every open position except the one in `skip`, reading `[market, oracle]` pairs from
/// `remaining` in the order of the account's positions. For a liquidation (flag, liquidate, unflag)
/// a position whose oracle cannot be used (stale, too uncertain, ahead of the clock, not trading,
/// not positive) is valued against its holder instead (`controller::health::unpriced_position`),
/// so one dead or wild oracle does not block liquidating the rest of the account; with no price to
/// go on, or when no position of the account has a usable price, the refusal stands. Adding risk
/// and withdrawing never use such a value, and count each gain only as far as its pool backs it
/// (`priced_backed`).
pub fn other_positions<'info>(
    account: &MarginAccount,
    exchange: &Pubkey,
    remaining: &'info [AccountInfo<'info>],
    skip: Option<&Pubkey>,
    now: i64,
    purpose: Purpose,
) -> Result<Vec<PricedPosition>> {
    let mut pairs = remaining.chunks_exact(2);
    let mut out = Vec::new();
    let (mut usable, mut first_refusal) = (skip.is_some(), None);
    for position in account.open_positions().filter(|p| Some(&p.market) != skip) {
        let pair = pairs.next().ok_or(MarginError::MissingPositionAccounts)?;
        require!(pair[0].key() == position.market, MarginError::MissingPositionAccounts);
        let loader = AccountLoader::<Market>::try_from(&pair[0])?;
        let market = loader.load()?;
        require!(market.exchange == *exchange, MarginError::WrongMarket);
        require!(Market::readable(market.version), MarginError::UnsupportedLayout);
        match oracle_price(&market, &pair[1], Some((now, purpose)))? {
            Ok(reading) => {
                usable = true;
                out.push(match purpose {
                    Purpose::AddRisk => priced_backed(position, &market, &reading)?,
                    Purpose::Liquidate => priced(position, &market, &reading),
                });
            }
            Err(refusal) if purpose == Purpose::Liquidate && falls_back(refusal) => {
                // The refused reading's own price, when the account parses.
                let refused = oracle_price(&market, &pair[1], None)?.ok().map(|r| (r.price, r.conf));
                let fallback = unpriced_position(
                    i128::from(position.base),
                    i128::from(position.quote_entry),
                    i128::from(market.last_oracle_price),
                    i128::from(market.max_conf_ratio_liquidate),
                    refused,
                    market_risk(&market),
                )?;
                out.push(fallback.ok_or(refusal)?);
                first_refusal.get_or_insert(refusal);
            }
            Err(refusal) => return Err(refusal.into()),
        }
    }
    // With no position priced at all, there is nothing a liquidation could act on: refuse.
    if let (false, Some(refusal)) = (usable, first_refusal) {
        return Err(refusal.into());
    }
    Ok(out)
}

/// Returns a flagged account to healthy when `positions` (every open position, priced) put it at
/// or above its liquidation-end level, and a bankrupt account whose deficit its owner covered.
/// Returns whether the status changed (the `AccountUnflagged` record is emitted).
pub fn clear_flag_if_eligible(account: &mut MarginAccount, key: Pubkey, positions: &[PricedPosition]) -> Result<bool> {
    let status = account.status();
    let health = eligibility_health(i128::from(account.collateral), positions)?;
    let has_positions = account.open_positions().next().is_some();
    if !unflag_eligible(&health, status) && !bankruptcy_cleared(i128::from(account.collateral), status, has_positions) {
        return Ok(false);
    }
    account.set_status(AccountStatus::Healthy);
    emit_event(&AccountUnflagged {
        margin_account: key,
        liquidation_id: account.liquidation_id,
        status_before: status as u8,
        equity: to_i64(health.equity)?,
        liquidation_end_requirement: to_i64(health.liquidation_end)?,
    });
    Ok(true)
}

/// Records a fill's haircut, when there was one, and any change to the account's claim.
pub fn emit_haircut(fill: &Fill, market: Pubkey, margin_account: Pubkey, outstanding: u64) {
    if fill.haircut > 0 {
        emit_event(&PoolHaircut {
            market,
            margin_account,
            owed: fill.owed,
            paid: fill.owed - fill.haircut,
            haircut: fill.haircut,
        });
    }
    if fill.claimed > 0 || fill.claim_paid > 0 {
        emit_event(&ClaimChanged {
            market,
            margin_account,
            recorded: fill.claimed,
            paid: fill.claim_paid,
            outstanding,
        });
    }
}

/// The account's unpaid claim in the market of `market_index`.
pub fn claim_outstanding(account: &MarginAccount, market_index: u16) -> u64 {
    account.claim_slot(market_index).map(|k| account.claims[k]).unwrap_or(0)
}

/// Refuses the program's own vaults as the destination of a payout (a fee or withdrawal paid into
/// a vault would sit there unaccounted).
pub fn require_not_vault(exchange: &Exchange, destination: &Pubkey) -> Result<()> {
    require!(
        *destination != exchange.quote_vault && *destination != exchange.insurance_vault,
        MarginError::VaultNotAllowed
    );
    Ok(())
}

/// Moves `amount` out of a vault owned by the exchange PDA.
pub fn vault_transfer<'info>(
    token_program: &AccountInfo<'info>,
    from: &AccountInfo<'info>,
    to: &AccountInfo<'info>,
    exchange: &Account<'info, Exchange>,
    amount: u64,
) -> Result<()> {
    if amount == 0 {
        return Ok(());
    }
    let seeds = exchange.signer_seeds();
    token::transfer(
        CpiContext::new_with_signer(
            token_program.clone(),
            Transfer { from: from.clone(), to: to.clone(), authority: exchange.to_account_info() },
            &[&seeds],
        ),
        amount,
    )
}

/// Moves `amount` from a signer's token account.
pub fn user_transfer<'info>(
    token_program: &AccountInfo<'info>,
    from: &AccountInfo<'info>,
    to: &AccountInfo<'info>,
    authority: &AccountInfo<'info>,
    amount: u64,
) -> Result<()> {
    token::transfer(
        CpiContext::new(
            token_program.clone(),
            Transfer { from: from.clone(), to: to.clone(), authority: authority.clone() },
        ),
        amount,
    )
}
