use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use crate::controller::health::account_health;
use crate::errors::MarginError;
use crate::events::{emit_event, CollateralWithdrawn};
use crate::state::*;

use super::common::{other_positions, require_not_vault, vault_transfer, Purpose};

#[derive(Accounts)]
pub struct Withdraw<'info> {
    pub owner: Signer<'info>,
    #[account(mut)]
    pub exchange: Account<'info, Exchange>,
    #[account(
        mut,
        constraint = margin_account.load()?.owner == owner.key() @ ErrorCode::ConstraintHasOne,
        constraint = margin_account.load()?.exchange == exchange.key() @ MarginError::WrongExchange,
    )]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    #[account(
        mut,
        constraint = user_token.mint == exchange.quote_mint @ MarginError::WrongQuoteMint,
    )]
    pub user_token: Account<'info, TokenAccount>,
    #[account(mut, constraint = quote_vault.key() == exchange.quote_vault @ MarginError::WrongVault)]
    pub quote_vault: Account<'info, TokenAccount>,
    pub token_program: Program<'info, Token>,
}

/// Remaining accounts: `[market, oracle]` for every open position, in position order. The account
/// must stay above its initial requirement at strictly fresh, confidence-adjusted prices.
pub fn handler<'info>(ctx: Context<'_, '_, 'info, 'info, Withdraw<'info>>, amount: u64) -> Result<()> {
    require!(amount > 0, MarginError::ZeroAmount);
    require!(!ctx.accounts.exchange.paused, MarginError::Paused);
    require_not_vault(&ctx.accounts.exchange, &ctx.accounts.user_token.key())?;
    let clock = Clock::get()?;
    let signed_amount = i64::try_from(amount).map_err(|_| MarginError::MathOverflow)?;

    let collateral_after = {
        let mut account = ctx.accounts.margin_account.load_mut()?;
        require!(account.status() == AccountStatus::Healthy, MarginError::AccountInLiquidation);
        let after = account.collateral.checked_sub(signed_amount).ok_or(MarginError::MathOverflow)?;
        require!(after >= 0, MarginError::InsufficientCollateral);
        let positions = other_positions(
            &account,
            &ctx.accounts.exchange.key(),
            ctx.remaining_accounts,
            None,
            clock.unix_timestamp,
            Purpose::AddRisk,
        )?;
        let health = account_health(i128::from(after), &positions)?;
        require!(!health.below_initial(), MarginError::InsufficientMargin);
        account.collateral = after;
        account.last_active_slot = clock.slot;
        after
    };

    vault_transfer(
        &ctx.accounts.token_program.to_account_info(),
        &ctx.accounts.quote_vault.to_account_info(),
        &ctx.accounts.user_token.to_account_info(),
        &ctx.accounts.exchange,
        amount,
    )?;

    let exchange = &mut ctx.accounts.exchange;
    // Informational: winners withdraw more than they deposited, so this floors at zero.
    exchange.total_collateral = exchange.total_collateral.saturating_sub(amount);
    emit_event(&CollateralWithdrawn {
        margin_account: ctx.accounts.margin_account.key(),
        owner: ctx.accounts.owner.key(),
        amount,
        collateral_after,
        slot: clock.slot,
    });
    Ok(())
}
