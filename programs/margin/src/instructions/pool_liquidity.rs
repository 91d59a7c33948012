use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use crate::controller::pool::removal_allowed;
use crate::errors::MarginError;
use crate::events::{emit_event, PoolLiquidityChanged};
use crate::state::*;

#[derive(Accounts)]
pub struct PoolLiquidity<'info> {
    pub admin: Signer<'info>,
    #[account(constraint = exchange.admin == admin.key() @ MarginError::Unauthorized)]
    pub exchange: Account<'info, Exchange>,
    #[account(
        mut,
        constraint = market.load()?.exchange == exchange.key() @ MarginError::WrongMarket,
        constraint = Market::readable(market.load()?.version) @ MarginError::UnsupportedLayout,
    )]
    pub market: AccountLoader<'info, Market>,
    #[account(mut, constraint = admin_token.mint == exchange.quote_mint @ MarginError::WrongQuoteMint)]
    pub admin_token: Account<'info, TokenAccount>,
    #[account(mut, constraint = quote_vault.key() == exchange.quote_vault @ MarginError::WrongVault)]
    pub quote_vault: Account<'info, TokenAccount>,
    pub token_program: Program<'info, Token>,
}

/// Adds (`amount > 0`) or removes (`amount < 0`) pool liquidity. The pool is the counterparty of
/// every trade: removal must leave it covering the traders' unpaid claims, each side's aggregate gain
/// and the capital their net position needs (`controller::pool::skew_capital`) (valued at the market's
/// last accepted price moved against the pool by the liquidation confidence limit, or at its
/// settlement price once settled; `controller::pool::removal_allowed`).
pub fn handler(ctx: Context<PoolLiquidity>, amount: i64) -> Result<()> {
    require!(amount != 0, MarginError::ZeroAmount);
    let a = &ctx.accounts;
    if amount < 0 {
        super::common::require_not_vault(&a.exchange, &a.admin_token.key())?;
    }
    let pool_balance = {
        let mut market = a.market.load_mut()?;
        let after = market.pool_balance.checked_add(amount).ok_or(MarginError::MathOverflow)?;
        if amount < 0 {
            // A settled market's positions close at its settlement price, certain: that is what the
            // pool owes, not the last oracle price it saw before.
            let (price, conf_ratio) = if market.is_settled() {
                (i128::from(market.settlement_price), 0)
            } else {
                (i128::from(market.last_oracle_price), i128::from(market.max_conf_ratio_liquidate))
            };
            let allowed = removal_allowed(
                i128::from(market.pool_balance),
                -i128::from(amount),
                i128::from(market.total_claims),
                (i128::from(market.long_open_interest), i128::from(market.short_open_interest)),
                (i128::from(market.quote_entry_sum_long), i128::from(market.quote_entry_sum_short)),
                price,
                conf_ratio,
                // A settled market's price no longer moves: no stress capital.
                if market.is_settled() { 0 } else { super::common::skew_stress_ratio(&market) },
            )?;
            require!(allowed, MarginError::InsufficientPoolBalance);
        }
        market.pool_balance = after;
        after
    };
    let tokens = amount.unsigned_abs();
    if amount > 0 {
        super::common::user_transfer(
            &a.token_program.to_account_info(),
            &a.admin_token.to_account_info(),
            &a.quote_vault.to_account_info(),
            &a.admin.to_account_info(),
            tokens,
        )?;
    } else {
        super::common::vault_transfer(
            &a.token_program.to_account_info(),
            &a.quote_vault.to_account_info(),
            &a.admin_token.to_account_info(),
            &a.exchange,
            tokens,
        )?;
    }
    emit_event(&PoolLiquidityChanged { market: a.market.key(), amount, pool_balance });
    Ok(())
}
