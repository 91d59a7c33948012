use anchor_lang::prelude::*;

use crate::controller::health::account_health;
use crate::controller::trade::{plan_trade, reduces_risk, ImpactParams};
use crate::errors::MarginError;
use crate::events::{emit_event, PositionChanged};
use crate::math::checked::to_i64;
use crate::state::*;

use super::common::{clear_flag_if_eligible, other_positions, priced, read_oracle, Purpose};

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
    #[account(mut, constraint = market.load()?.exchange == exchange.key() @ MarginError::WrongMarket)]
    pub market: AccountLoader<'info, Market>,
    /// CHECK: checked against the market (address, owner, layout, feed, freshness).
    pub oracle: UncheckedAccount<'info>,
}

pub fn impact_params(market: &Market) -> ImpactParams {
    ImpactParams {
        base_impact_ratio: i128::from(market.base_impact_ratio),
        impact_ratio_per_million: i128::from(market.impact_ratio_per_million),
        max_impact_ratio: i128::from(market.max_impact_ratio),
    }
}

/// Moves `base` of the open interest from `before` to `after` (each side counted separately).
pub fn update_open_interest(market: &mut Market, before: i128, after: i128) -> Result<()> {
    let side = |b: i128| (b.max(0), (-b).max(0));
    let (long_before, short_before) = side(before);
    let (long_after, short_after) = side(after);
    let long = i128::from(market.long_open_interest) - long_before + long_after;
    let short = i128::from(market.short_open_interest) - short_before + short_after;
    market.long_open_interest = u64::try_from(long).map_err(|_| MarginError::MathOverflow)?;
    market.short_open_interest = u64::try_from(short).map_err(|_| MarginError::MathOverflow)?;
    Ok(())
}

/// Opens, increases, reduces, closes or flips the position in `market` by `base_delta`
/// (BASE_PRECISION, signed) against the pool, executing no worse than `limit_price`
/// (PRICE_PRECISION). Anything that is not a pure reduction needs the strict oracle limits, an
/// unpaused market, a healthy account, room under the open-interest cap and the initial margin
/// afterwards; a reduction is always allowed. Remaining accounts: `[market, oracle]` of every other
/// open position, in position order.
pub fn handler<'info>(ctx: Context<'_, '_, 'info, 'info, Trade<'info>>, base_delta: i64, limit_price: u64) -> Result<()> {
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
        require!(!exchange.paused && !market.is_paused(), MarginError::Paused);
        require!(account.status() == AccountStatus::Healthy, MarginError::AccountInLiquidation);
    }
    let purpose = if reducing { Purpose::Liquidate } else { Purpose::AddRisk };
    let reading = read_oracle(&market, &ctx.accounts.oracle.to_account_info(), now, purpose)?;
    let plan = plan_trade(base, quote_entry, delta, reading.price, impact_params(&market), i128::from(limit_price))?;

    let slot = match index {
        Some(i) => i,
        None => account.positions.iter().position(|p| !p.is_open()).ok_or(MarginError::TooManyPositions)?,
    };
    account.positions[slot] = if plan.result.base == 0 && plan.result.quote_entry == 0 {
        Position::default()
    } else {
        Position { market: market_key, base: to_i64(plan.result.base)?, quote_entry: to_i64(plan.result.quote_entry)? }
    };
    let realized = to_i64(plan.result.realized_pnl)?;
    account.collateral = account.collateral.checked_add(realized).ok_or(MarginError::MathOverflow)?;
    market.pool_balance = market.pool_balance.checked_sub(realized).ok_or(MarginError::MathOverflow)?;
    update_open_interest(&mut market, base, plan.result.base)?;

    if !reducing {
        require!(
            market.long_open_interest <= market.max_open_interest_base && market.short_open_interest <= market.max_open_interest_base,
            MarginError::OpenInterestCap
        );
        let mut positions =
            other_positions(&account, &exchange.key(), ctx.remaining_accounts, Some(&market_key), now, Purpose::AddRisk)?;
        positions.push(priced(&account.positions[slot], &market, &reading));
        let health = account_health(i128::from(account.collateral), &positions)?;
        require!(!health.below_initial(), MarginError::InsufficientMargin);
    } else if account.status() == AccountStatus::BeingLiquidated {
        // An owner answering a margin call: with every other position's accounts given, a reduction
        // that restores the liquidation-end level ends the liquidation. Without them the flag stays
        // for `unflag_account` (a reduction never needs them).
        if let Ok(mut positions) =
            other_positions(&account, &exchange.key(), ctx.remaining_accounts, Some(&market_key), now, Purpose::Liquidate)
        {
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
        realized_pnl: realized,
        collateral_after: account.collateral,
    });
    Ok(())
}
