use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use crate::controller::bankruptcy::resolve;
use crate::errors::MarginError;
use crate::events::{emit_event, BankruptcyResolved};
use crate::math::checked::{to_i64, to_u64};
use crate::state::*;

use super::common::vault_transfer;

#[derive(Accounts)]
pub struct ResolveBankruptcy<'info> {
    pub caller: Signer<'info>,
    pub exchange: Account<'info, Exchange>,
    #[account(mut, constraint = margin_account.load()?.exchange == exchange.key() @ MarginError::WrongExchange)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    /// The market whose insurance fund pays and whose pool absorbs what it cannot.
    #[account(mut, constraint = market.load()?.exchange == exchange.key() @ MarginError::WrongMarket)]
    pub market: AccountLoader<'info, Market>,
    #[account(mut, constraint = quote_vault.key() == exchange.quote_vault @ MarginError::WrongVault)]
    pub quote_vault: Account<'info, TokenAccount>,
    #[account(mut, constraint = insurance_vault.key() == exchange.insurance_vault @ MarginError::WrongVault)]
    pub insurance_vault: Account<'info, TokenAccount>,
    pub token_program: Program<'info, Token>,
}

/// Permissionless: for an account with no positions left and negative collateral, the insurance
/// fund pays the deficit; what it cannot pay is socialized on the pool; the account returns to zero.
pub fn handler(ctx: Context<ResolveBankruptcy>) -> Result<()> {
    let paid = {
        let mut account = ctx.accounts.margin_account.load_mut()?;
        require!(
            account.open_positions().next().is_none() && account.collateral < 0,
            MarginError::NotBankrupt
        );
        let mut market = ctx.accounts.market.load_mut()?;
        let r = resolve(i128::from(account.collateral), i128::from(market.insurance_balance));
        market.insurance_balance = market.insurance_balance.checked_sub(to_i64(r.insurance_paid)?).ok_or(MarginError::MathOverflow)?;
        market.pool_balance = market.pool_balance.checked_sub(to_i64(r.socialized_loss)?).ok_or(MarginError::MathOverflow)?;
        market.total_insurance_paid = market.total_insurance_paid.saturating_add(to_u64(r.insurance_paid)?);
        market.total_socialized_loss = market.total_socialized_loss.saturating_add(to_u64(r.socialized_loss)?);
        account.collateral = 0;
        account.set_status(AccountStatus::Healthy);
        emit_event(&BankruptcyResolved {
            margin_account: ctx.accounts.margin_account.key(),
            market: ctx.accounts.market.key(),
            liquidation_id: account.liquidation_id,
            deficit: to_u64(r.deficit)?,
            insurance_paid: to_u64(r.insurance_paid)?,
            socialized_loss: to_u64(r.socialized_loss)?,
            insurance_balance_after: market.insurance_balance,
        });
        to_u64(r.insurance_paid)?
    };
    vault_transfer(
        &ctx.accounts.token_program.to_account_info(),
        &ctx.accounts.insurance_vault.to_account_info(),
        &ctx.accounts.quote_vault.to_account_info(),
        &ctx.accounts.exchange,
        paid,
    )
}
