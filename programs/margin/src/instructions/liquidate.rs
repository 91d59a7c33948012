use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use crate::controller::health::account_health;
use crate::controller::liquidation::{liquidation_eligible, plan_liquidation, LiquidationParams};
use crate::errors::MarginError;
use crate::events::{emit_event, AccountFlagged, LiquidationRecord};
use crate::math::liquidation::shrink_fees;
use crate::math::position::apply_trade;
use crate::math::checked::{to_i64, to_u64};
use crate::state::*;

use super::common::{apply_fill, other_positions, priced, read_oracle, require_not_vault, vault_transfer, Purpose};
use super::trade::impact_params;

#[derive(Accounts)]
pub struct Liquidate<'info> {
    pub liquidator: Signer<'info>,
    #[account(mut)]
    pub exchange: Account<'info, Exchange>,
    #[account(mut, constraint = margin_account.load()?.exchange == exchange.key() @ MarginError::WrongExchange)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    #[account(mut, constraint = market.load()?.exchange == exchange.key() @ MarginError::WrongMarket)]
    pub market: AccountLoader<'info, Market>,
    /// CHECK: checked against the market (address, owner, layout, feed, freshness).
    pub oracle: UncheckedAccount<'info>,
    #[account(mut, constraint = liquidator_token.mint == exchange.quote_mint @ MarginError::WrongQuoteMint)]
    pub liquidator_token: Account<'info, TokenAccount>,
    #[account(mut, constraint = quote_vault.key() == exchange.quote_vault @ MarginError::WrongVault)]
    pub quote_vault: Account<'info, TokenAccount>,
    #[account(mut, constraint = insurance_vault.key() == exchange.insurance_vault @ MarginError::WrongVault)]
    pub insurance_vault: Account<'info, TokenAccount>,
    pub token_program: Program<'info, Token>,
}

struct Outcome {
    liquidator_fee: u64,
    insurance_fee: u64,
    /// Set when this step flagged the account: the exchange's new liquidation count.
    new_liquidation_id: Option<u64>,
}

/// Permissionless: closes part of the account's position in `market`, just enough to bring the
/// account back to its liquidation-end level (capped per step, small remainders closed in full),
/// against the pool at the oracle price with impact, no worse than `limit_price`. Allowed below
/// maintenance (an unflagged account is flagged by this step, with the same `AccountFlagged`
/// record), or while flagged and below the liquidation-end level. Remaining accounts:
/// `[market, oracle]` of every other open position.
pub fn handler<'info>(ctx: Context<'_, '_, 'info, 'info, Liquidate<'info>>, limit_price: u64) -> Result<()> {
    let clock = Clock::get()?;
    require_not_vault(&ctx.accounts.exchange, &ctx.accounts.liquidator_token.key())?;
    let outcome = liquidate_account(&ctx, limit_price, clock.unix_timestamp)?;
    if let Some(id) = outcome.new_liquidation_id {
        ctx.accounts.exchange.liquidation_count = id;
    }
    let a = &ctx.accounts;
    vault_transfer(
        &a.token_program.to_account_info(),
        &a.quote_vault.to_account_info(),
        &a.liquidator_token.to_account_info(),
        &a.exchange,
        outcome.liquidator_fee,
    )?;
    vault_transfer(
        &a.token_program.to_account_info(),
        &a.quote_vault.to_account_info(),
        &a.insurance_vault.to_account_info(),
        &a.exchange,
        outcome.insurance_fee,
    )?;
    Ok(())
}

fn liquidate_account<'info>(ctx: &Context<'_, '_, 'info, 'info, Liquidate<'info>>, limit_price: u64, now: i64) -> Result<Outcome> {
    let market_key = ctx.accounts.market.key();
    let mut market = ctx.accounts.market.load_mut()?;
    let mut account = ctx.accounts.margin_account.load_mut()?;
    let index = account.position_index(&market_key).ok_or(MarginError::NoPosition)?;

    let reading = read_oracle(&market, &ctx.accounts.oracle.to_account_info(), now, Purpose::Liquidate)?;
    let mut positions = other_positions(
        &account,
        &ctx.accounts.exchange.key(),
        ctx.remaining_accounts,
        Some(&market_key),
        now,
        Purpose::Liquidate,
    )?;
    let target = priced(&account.positions[index], &market, &reading);
    positions.push(target.clone());
    let before = account_health(i128::from(account.collateral), &positions)?;
    require!(liquidation_eligible(&before, account.status()), MarginError::AccountHealthy);

    let new_liquidation_id = if account.status() == AccountStatus::BeingLiquidated {
        None
    } else {
        let id = ctx.accounts.exchange.liquidation_count.checked_add(1).ok_or(MarginError::MathOverflow)?;
        account.liquidation_id = id;
        account.set_status(AccountStatus::BeingLiquidated);
        // The same record `flag_account` leaves, so a liquidation started in one transaction reads
        // like one started by a flag.
        emit_event(&AccountFlagged {
            margin_account: ctx.accounts.margin_account.key(),
            liquidation_id: id,
            equity: to_i64(before.equity)?,
            maintenance_requirement: to_i64(before.maintenance)?,
        });
        Some(id)
    };
    let liquidation_id = account.liquidation_id;

    let params = LiquidationParams {
        impact: impact_params(&market),
        liquidator_fee_ratio: i128::from(market.liquidator_fee_ratio),
        insurance_fee_ratio: i128::from(market.insurance_fee_ratio),
        max_liquidation_notional: i128::from(market.max_liquidation_notional),
        min_remainder_notional: i128::from(market.min_remainder_notional),
    };
    let plan = plan_liquidation(&before, &target, &params)?;
    let past_limit = if plan.trade_base < 0 {
        plan.exec_price < i128::from(limit_price)
    } else {
        plan.exec_price > i128::from(limit_price)
    };
    require!(!past_limit, MarginError::LimitPriceExceeded);

    let result = apply_trade(target.base, target.quote_entry, plan.trade_base, plan.exec_price)?;
    let account_key = ctx.accounts.margin_account.key();
    apply_fill(&mut account, account_key, index, &mut market, market_key, target.base, &result)?;

    // Fees come out of what is left after the close, never more.
    let last = positions.len() - 1;
    positions[last].base = result.base;
    positions[last].quote_entry = result.quote_entry;
    if result.base == 0 {
        positions.pop();
    }
    let after_close = account_health(i128::from(account.collateral), &positions)?;
    // Fees come out of money the account holds: never more than its equity, nor than its collateral.
    let payable = after_close.equity.min(i128::from(account.collateral));
    let (liquidator_fee, insurance_fee) = shrink_fees(plan.liquidator_fee, plan.insurance_fee, payable)?;
    let fees = to_i64(liquidator_fee + insurance_fee)?;
    account.collateral = account.collateral.checked_sub(fees).ok_or(MarginError::MathOverflow)?;
    market.insurance_balance = market.insurance_balance.checked_add(to_i64(insurance_fee)?).ok_or(MarginError::MathOverflow)?;
    market.total_liquidations = market.total_liquidations.saturating_add(1);
    market.total_liquidated_notional = market.total_liquidated_notional.saturating_add(to_u64(plan.closed_notional)?);
    market.total_liquidation_fees = market.total_liquidation_fees.saturating_add(to_u64(liquidator_fee + insurance_fee)?);

    let after = account_health(i128::from(account.collateral), &positions)?;
    let status = if account.open_positions().next().is_none() && account.collateral < 0 {
        AccountStatus::Bankrupt
    } else if !after.below_liquidation_end() {
        AccountStatus::Healthy
    } else {
        AccountStatus::BeingLiquidated
    };
    account.set_status(status);
    account.last_active_slot = Clock::get()?.slot;

    emit_event(&LiquidationRecord {
        margin_account: ctx.accounts.margin_account.key(),
        market: market_key,
        liquidator: ctx.accounts.liquidator.key(),
        liquidation_id,
        closed_base: to_i64(plan.trade_base)?,
        closed_notional: to_u64(plan.closed_notional)?,
        oracle_price: to_i64(reading.price)?,
        exec_price: to_i64(plan.exec_price)?,
        liquidator_fee: to_u64(liquidator_fee)?,
        insurance_fee: to_u64(insurance_fee)?,
        equity_before: to_i64(before.equity)?,
        maintenance_before: to_i64(before.maintenance)?,
        liquidation_end_before: to_i64(before.liquidation_end)?,
        equity_after: to_i64(after.equity)?,
        maintenance_after: to_i64(after.maintenance)?,
        liquidation_end_after: to_i64(after.liquidation_end)?,
        status_after: status as u8,
    });
    Ok(Outcome { liquidator_fee: to_u64(liquidator_fee)?, insurance_fee: to_u64(insurance_fee)?, new_liquidation_id })
}
