use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use crate::controller::liquidation::{liquidation_step, StepInput};
use crate::errors::MarginError;
use crate::events::{emit_event, AccountFlagged, LiquidationBounty, LiquidationRecord};
use crate::math::checked::{to_i64, to_u64};
use crate::state::*;

use super::common::{
    claim_outstanding, emit_haircut, other_positions, priced, read_oracle, require_not_vault, vault_transfer, Purpose,
};

#[derive(Accounts)]
pub struct Liquidate<'info> {
    pub liquidator: Signer<'info>,
    #[account(mut)]
    pub exchange: Account<'info, Exchange>,
    #[account(mut, constraint = margin_account.load()?.exchange == exchange.key() @ MarginError::WrongExchange)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    #[account(
        mut,
        constraint = market.load()?.exchange == exchange.key() @ MarginError::WrongMarket,
        constraint = Market::readable(market.load()?.version) @ MarginError::UnsupportedLayout,
    )]
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

/// Permissionless: closes part of the account's position in `market`, just enough to bring the
/// account back to its liquidation-end level (capped per step, small remainders closed in full),
/// against the pool at the oracle price with impact, no worse than `limit_price`. Allowed below
/// maintenance (an unflagged account is flagged by this step, with the same `AccountFlagged`
/// record), or while flagged and below the liquidation-end level. Remaining accounts:
/// `[market, oracle]` of every other open position. The step itself is
/// `controller::liquidation::liquidation_step`; this handler loads, records and pays.
pub fn handler<'info>(ctx: Context<'_, '_, 'info, 'info, Liquidate<'info>>, limit_price: u64) -> Result<()> {
    let clock = Clock::get()?;
    require_not_vault(&ctx.accounts.exchange, &ctx.accounts.liquidator_token.key())?;
    let account_key = ctx.accounts.margin_account.key();
    let market_key = ctx.accounts.market.key();
    let (outcome, oracle_price, claim_left) = {
        let mut market = ctx.accounts.market.load_mut()?;
        let mut account = ctx.accounts.margin_account.load_mut()?;
        let index = account.position_index(&market_key).ok_or(MarginError::NoPosition)?;
        let reading =
            read_oracle(&market, &ctx.accounts.oracle.to_account_info(), clock.unix_timestamp, Purpose::Liquidate)?;
        let exchange_key = ctx.accounts.exchange.key();
        let others = other_positions(
            &account,
            &exchange_key,
            ctx.remaining_accounts,
            Some(&market_key),
            clock.unix_timestamp,
            Purpose::Liquidate,
        )?;
        let input = StepInput {
            market_key,
            target: priced(&account.positions[index], &market, &reading),
            others,
            limit_price: i128::from(limit_price),
            next_liquidation_id: ctx
                .accounts
                .exchange
                .liquidation_count
                .checked_add(1)
                .ok_or(MarginError::MathOverflow)?,
            slot: clock.slot,
        };
        let outcome = liquidation_step(&mut account, &mut market, input)?;
        (outcome, reading.price, claim_outstanding(&account, market.index))
    };
    if outcome.flagged {
        ctx.accounts.exchange.liquidation_count = outcome.liquidation_id;
        // The same record `flag_account` leaves, so a liquidation started in one transaction reads
        // like one started by a flag.
        emit_event(&AccountFlagged {
            margin_account: account_key,
            liquidation_id: outcome.liquidation_id,
            equity: to_i64(outcome.before.equity)?,
            maintenance_requirement: to_i64(outcome.before.maintenance)?,
        });
    }
    emit_haircut(&outcome.fill, market_key, account_key, claim_left);
    let (before, after, plan) = (&outcome.before, &outcome.after, &outcome.plan);
    emit_event(&LiquidationRecord {
        margin_account: account_key,
        market: market_key,
        liquidator: ctx.accounts.liquidator.key(),
        liquidation_id: outcome.liquidation_id,
        closed_base: to_i64(plan.trade_base)?,
        closed_notional: to_u64(plan.closed_notional)?,
        oracle_price: to_i64(oracle_price)?,
        exec_price: to_i64(plan.exec_price)?,
        liquidator_fee: outcome.liquidator_fee,
        insurance_fee: outcome.insurance_fee,
        equity_before: to_i64(before.equity)?,
        maintenance_before: to_i64(before.maintenance)?,
        liquidation_end_before: to_i64(before.liquidation_end)?,
        equity_after: to_i64(after.equity)?,
        maintenance_after: to_i64(after.maintenance)?,
        liquidation_end_after: to_i64(after.liquidation_end)?,
        status_after: outcome.status as u8,
    });
    if outcome.bounty > 0 {
        emit_event(&LiquidationBounty {
            margin_account: account_key,
            market: market_key,
            liquidator: ctx.accounts.liquidator.key(),
            liquidation_id: outcome.liquidation_id,
            amount: outcome.bounty,
        });
    }
    let a = &ctx.accounts;
    let (token, vault) = (a.token_program.to_account_info(), a.quote_vault.to_account_info());
    vault_transfer(&token, &vault, &a.liquidator_token.to_account_info(), &a.exchange, outcome.liquidator_fee)?;
    vault_transfer(&token, &vault, &a.insurance_vault.to_account_info(), &a.exchange, outcome.insurance_fee)?;
    vault_transfer(
        &token,
        &a.insurance_vault.to_account_info(),
        &a.liquidator_token.to_account_info(),
        &a.exchange,
        outcome.bounty,
    )?;
    Ok(())
}
