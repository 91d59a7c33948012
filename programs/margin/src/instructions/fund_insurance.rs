use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use crate::errors::MarginError;
use crate::events::{emit_event, InsuranceFunded};
use crate::state::*;

#[derive(Accounts)]
pub struct FundInsurance<'info> {
    pub funder: Signer<'info>,
    pub exchange: Account<'info, Exchange>,
    #[account(
        mut,
        constraint = market.load()?.exchange == exchange.key() @ MarginError::WrongMarket,
        constraint = Market::readable(market.load()?.version) @ MarginError::UnsupportedLayout,
    )]
    pub market: AccountLoader<'info, Market>,
    #[account(mut, constraint = funder_token.mint == exchange.quote_mint @ MarginError::WrongQuoteMint)]
    pub funder_token: Account<'info, TokenAccount>,
    #[account(mut, constraint = insurance_vault.key() == exchange.insurance_vault @ MarginError::WrongVault)]
    pub insurance_vault: Account<'info, TokenAccount>,
    pub token_program: Program<'info, Token>,
}

/// Anyone may add to a market's insurance fund.
pub fn handler(ctx: Context<FundInsurance>, amount: u64) -> Result<()> {
    require!(amount > 0, MarginError::ZeroAmount);
    super::common::user_transfer(
        &ctx.accounts.token_program.to_account_info(),
        &ctx.accounts.funder_token.to_account_info(),
        &ctx.accounts.insurance_vault.to_account_info(),
        &ctx.accounts.funder.to_account_info(),
        amount,
    )?;
    let mut market = ctx.accounts.market.load_mut()?;
    market.insurance_balance = market
        .insurance_balance
        .checked_add(i64::try_from(amount).map_err(|_| MarginError::MathOverflow)?)
        .ok_or(MarginError::MathOverflow)?;
    emit_event(&InsuranceFunded {
        market: ctx.accounts.market.key(),
        amount,
        insurance_balance: market.insurance_balance,
    });
    Ok(())
}
