use anchor_lang::prelude::*;

use crate::controller::health::account_health;
use crate::controller::pool::skew_backed;
use crate::controller::trade::{impact_params, opening_spread, plan_trade, reduces_risk};
use crate::errors::MarginError;
use crate::events::{emit_event, PositionChanged};
use crate::math::checked::to_i64;
use crate::state::*;

use crate::controller::fill::apply_fill;

use super::common::{
    claim_outstanding, clear_flag_if_eligible, emit_haircut, market_backing, other_positions, priced, priced_backed,
    read_oracle, skew_stress_ratio, Purpose,
};

#[derive(Accounts)]
pub struct Trade<'info> {
    pub owner: Signer<'info>,
    pub exchange: Account<'info, Exchange>,
    #[account(
        mut,
        constraint = margin_account.load()?.owner == owner.key() @ ErrorCode::ConstraintHasOne,
        constraint = margin_account.load()?.exchange == exchange.key() @ MarginError::WrongExchange,
    )]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    #[account(
        mut,
        constraint = market.load()?.exchange == exchange.key() @ MarginError::WrongMarket,
        constraint = Market::readable(market.load()?.version) @ MarginError::UnsupportedLayout,
    )]
    pub market: AccountLoader<'info, Market>,
    /// CHECK: checked against the market (address, owner, layout, feed, freshness).
    pub oracle: UncheckedAccount<'info>,
}

/// Opens, increases, reduces, closes or flips the position in `market` by `base_delta`
/// (BASE_PRECISION, signed) against the pool, executing no worse than `limit_price`
/// (PRICE_PRECISION). The impact follows the pool's skew; every trade also pays a spread of the
/// price's confidence ratio plus 0.02% per second of its age (a reduction at most the liquidation
/// confidence limit). Anything that is not a pure reduction
/// needs the strict oracle limits, an unpaused market, a healthy account, room under the
/// open-interest cap and the initial margin afterwards, with each gain counted only as far as its
/// pool backs it, and a new market needs room beside the account's positions and recorded
/// shortfalls (`ShortfallRecordFull`); a reduction is always allowed (lenient oracle limits).
/// Remaining accounts: `[market, oracle]` of every other
/// open position, in position order.
pub fn handler<'info>(
    ctx: Context<'_, '_, 'info, 'info, Trade<'info>>,
    base_delta: i64,
    limit_price: u64,
) -> Result<()> {
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;
    let exchange = &ctx.accounts.exchange;
    let market_key = ctx.accounts.market.key();
    let mut market = ctx.accounts.market.load_mut()?;
    let mut account = ctx.accounts.margin_account.load_mut()?;

    let index = account.position_index(&market_key);
    let (base, quote_entry) = index
        .map(|i| (i128::from(account.positions[i].base), i128::from(account.positions[i].quote_entry)))
        .unwrap_or((0, 0));
    let delta = i128::from(base_delta);
    let reducing = reduces_risk(base, base + delta);
    if !reducing {
        require!(!exchange.paused && !market.is_paused() && !market.is_settled(), MarginError::Paused);
        require!(account.status() == AccountStatus::Healthy, MarginError::AccountInLiquidation);
    }
    let purpose = if reducing { Purpose::Liquidate } else { Purpose::AddRisk };
    let reading = read_oracle(&market, &ctx.accounts.oracle.to_account_info(), now, purpose)?;
    let skew = i128::from(market.long_open_interest) - i128::from(market.short_open_interest);
    // A reduction may use an older price (the lenient limits keep closing possible), so it pays the
    // same age and confidence spread, up to the liquidation confidence limit: closing at a price the
    // market has since left is no free option, and (as validation keeps that limit plus the worst
    // impact below every maintenance ratio) a reduction still never lowers the account's health.
    let spread = opening_spread(reading.price, reading.conf, now - reading.publish_time)?;
    let spread = if reducing { spread.min(i128::from(market.max_conf_ratio_liquidate)) } else { spread };
    let plan = plan_trade(
        base,
        quote_entry,
        delta,
        reading.price,
        impact_params(&market),
        skew,
        spread,
        i128::from(limit_price),
    )?;

    let slot = match index {
        Some(i) => i,
        None => {
            let free = account.positions.iter().position(|p| !p.is_open()).ok_or(MarginError::TooManyPositions)?;
            require!(account.room_for_market(market.index), MarginError::ShortfallRecordFull);
            free
        }
    };
    let fill = apply_fill(&mut account, slot, &mut market, market_key, base, &plan.result)?;
    emit_haircut(&fill, market_key, ctx.accounts.margin_account.key(), claim_outstanding(&account, market.index));

    if !reducing {
        require!(
            market.long_open_interest <= market.max_open_interest_base
                && market.short_open_interest <= market.max_open_interest_base,
            MarginError::OpenInterestCap
        );
        // A trade that moves the traders' net position further from zero needs the pool's capital
        // to back it: beyond its claims and what it owes, the net side's gain from a move of the
        // market's smallest initial ratio.
        let skew_after = i128::from(market.long_open_interest) - i128::from(market.short_open_interest);
        if skew_after.abs() > skew.abs() {
            let b = market_backing(&market, reading.price)?;
            require!(
                skew_backed(b.pool_balance, b.liability, skew_after, reading.price, skew_stress_ratio(&market))?,
                MarginError::PoolCapacity
            );
        }
        let mut positions = other_positions(
            &account,
            &exchange.key(),
            ctx.remaining_accounts,
            Some(&market_key),
            now,
            Purpose::AddRisk,
        )?;
        positions.push(priced_backed(&account.positions[slot], &market, &reading)?);
        let health = account_health(i128::from(account.collateral), &positions)?;
        require!(!health.below_initial(), MarginError::InsufficientMargin);
    } else if account.status() == AccountStatus::BeingLiquidated {
        // An owner answering a margin call: with every other position's accounts given, a reduction
        // that restores the liquidation-end level ends the liquidation. Without them the flag stays
        // for `unflag_account` (a reduction never needs them).
        if let Ok(mut positions) = other_positions(
            &account,
            &exchange.key(),
            ctx.remaining_accounts,
            Some(&market_key),
            now,
            Purpose::Liquidate,
        ) {
            if account.positions[slot].is_open() {
                positions.push(priced(&account.positions[slot], &market, &reading));
            }
            clear_flag_if_eligible(&mut account, ctx.accounts.margin_account.key(), &positions)?;
        }
    }
    account.last_active_slot = clock.slot;

    emit_event(&PositionChanged {
        margin_account: ctx.accounts.margin_account.key(),
        market: market_key,
        trade_base: base_delta,
        oracle_price: to_i64(reading.price)?,
        exec_price: to_i64(plan.exec_price)?,
        base_after: account.positions[slot].base,
        quote_entry_after: account.positions[slot].quote_entry,
        realized_pnl: fill.credited,
        collateral_after: account.collateral,
    });
    Ok(())
}
