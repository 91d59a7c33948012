use anchor_lang::prelude::*;
use anchor_spl::token::{self, Token, TokenAccount, Transfer};

use crate::errors::MarginError;
use crate::events::{emit_event, CollateralWithdrawn};
use crate::state::*;

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
    #[account(mut, address = exchange.quote_vault)]
    pub quote_vault: Account<'info, TokenAccount>,
    pub token_program: Program<'info, Token>,
}

pub fn handler(ctx: Context<Withdraw>, amount: u64) -> Result<()> {
    require!(amount > 0, MarginError::ZeroAmount);
    let slot = Clock::get()?.slot;
    let signed_amount = i64::try_from(amount).map_err(|_| MarginError::MathOverflow)?;

    let collateral_after = {
        let mut account = ctx.accounts.margin_account.load_mut()?;
        // No positions exist yet, so free collateral is the whole collateral.
        let after = account
            .collateral
            .checked_sub(signed_amount)
            .ok_or(MarginError::MathOverflow)?;
        require!(after >= 0, MarginError::InsufficientCollateral);
        account.collateral = after;
        account.last_active_slot = slot;
        after
    };

    let exchange = &ctx.accounts.exchange;
    let seeds = exchange.signer_seeds();
    token::transfer(
        CpiContext::new_with_signer(
            ctx.accounts.token_program.to_account_info(),
            Transfer {
                from: ctx.accounts.quote_vault.to_account_info(),
                to: ctx.accounts.user_token.to_account_info(),
                authority: exchange.to_account_info(),
            },
            &[&seeds],
        ),
        amount,
    )?;

    let exchange = &mut ctx.accounts.exchange;
    exchange.total_collateral = exchange
        .total_collateral
        .checked_sub(amount)
        .ok_or(MarginError::MathOverflow)?;

    emit_event(&CollateralWithdrawn {
        margin_account: ctx.accounts.margin_account.key(),
        owner: ctx.accounts.owner.key(),
        amount,
        collateral_after,
        slot,
    });
    Ok(())
}
