use anchor_lang::prelude::*;

use crate::errors::MarginError;
use crate::events::{emit_event, MarginAccountCreated};
use crate::state::*;

#[derive(Accounts)]
pub struct CreateMarginAccount<'info> {
    #[account(mut)]
    pub owner: Signer<'info>,
    #[account(mut)]
    pub exchange: Account<'info, Exchange>,
    #[account(
        init,
        payer = owner,
        space = 8 + MarginAccount::SIZE,
        seeds = [MARGIN_ACCOUNT_SEED, exchange.key().as_ref(), owner.key().as_ref()],
        bump,
    )]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<CreateMarginAccount>) -> Result<()> {
    let slot = Clock::get()?.slot;
    let mut account = ctx.accounts.margin_account.load_init()?;
    account.owner = ctx.accounts.owner.key();
    account.exchange = ctx.accounts.exchange.key();
    account.version = MarginAccount::VERSION;
    account.bump = ctx.bumps.margin_account;
    account.last_active_slot = slot;

    let exchange = &mut ctx.accounts.exchange;
    exchange.margin_account_count = exchange.margin_account_count.checked_add(1).ok_or(MarginError::MathOverflow)?;
    emit_event(&MarginAccountCreated {
        exchange: exchange.key(),
        margin_account: ctx.accounts.margin_account.key(),
        owner: account.owner,
    });
    Ok(())
}
