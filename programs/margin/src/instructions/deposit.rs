use anchor_lang::prelude::*;
use anchor_spl::token::{self, Token, TokenAccount, Transfer};

use crate::errors::MarginError;
use crate::events::{emit_event, CollateralDeposited};
use crate::state::*;

use super::common::{clear_flag_if_eligible, other_positions, Purpose};

#[derive(Accounts)]
pub struct Deposit<'info> {
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

/// A bankrupt account whose deficit the deposit covers returns to healthy (it has no positions;
/// nothing is left to resolve). A flagged account returns to healthy when the remaining accounts
/// (`[market, oracle]` of every open position, optional) show it at or above its liquidation-end
/// level at liquidation-grade prices; without them the flag stays for `unflag_account` to clear.
pub fn handler<'info>(ctx: Context<'_, '_, 'info, 'info, Deposit<'info>>, amount: u64) -> Result<()> {
    require!(amount > 0, MarginError::ZeroAmount);
    let clock = Clock::get()?;
    let slot = clock.slot;

    token::transfer(
        CpiContext::new(
            ctx.accounts.token_program.to_account_info(),
            Transfer {
                from: ctx.accounts.user_token.to_account_info(),
                to: ctx.accounts.quote_vault.to_account_info(),
                authority: ctx.accounts.owner.to_account_info(),
            },
        ),
        amount,
    )?;

    let signed_amount = i64::try_from(amount).map_err(|_| MarginError::MathOverflow)?;
    let mut account = ctx.accounts.margin_account.load_mut()?;
    account.collateral = account.collateral.checked_add(signed_amount).ok_or(MarginError::MathOverflow)?;
    account.last_active_slot = slot;
    let key = ctx.accounts.margin_account.key();
    match account.status() {
        AccountStatus::Healthy => {}
        AccountStatus::Bankrupt => {
            clear_flag_if_eligible(&mut account, key, &[])?;
        }
        AccountStatus::BeingLiquidated => {
            let exchange_key = ctx.accounts.exchange.key();
            if let Ok(positions) = other_positions(
                &account,
                &exchange_key,
                ctx.remaining_accounts,
                None,
                clock.unix_timestamp,
                Purpose::Liquidate,
            ) {
                clear_flag_if_eligible(&mut account, key, &positions)?;
            }
        }
    }

    let exchange = &mut ctx.accounts.exchange;
    exchange.total_collateral = exchange.total_collateral.checked_add(amount).ok_or(MarginError::MathOverflow)?;

    emit_event(&CollateralDeposited {
        margin_account: ctx.accounts.margin_account.key(),
        owner: account.owner,
        amount,
        collateral_after: account.collateral,
        slot,
    });
    Ok(())
}
