use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};

use crate::events::{emit_event, ExchangeInitialized};
use crate::state::*;

#[derive(Accounts)]
pub struct InitializeExchange<'info> {
    #[account(mut)]
    pub admin: Signer<'info>,
    pub quote_mint: Account<'info, Mint>,
    #[account(
        init,
        payer = admin,
        space = 8 + Exchange::INIT_SPACE,
        seeds = [EXCHANGE_SEED, quote_mint.key().as_ref()],
        bump,
    )]
    pub exchange: Account<'info, Exchange>,
    #[account(
        init,
        payer = admin,
        seeds = [QUOTE_VAULT_SEED, exchange.key().as_ref()],
        bump,
        token::mint = quote_mint,
        token::authority = exchange,
    )]
    pub quote_vault: Account<'info, TokenAccount>,
    #[account(
        init,
        payer = admin,
        seeds = [INSURANCE_VAULT_SEED, exchange.key().as_ref()],
        bump,
        token::mint = quote_mint,
        token::authority = exchange,
    )]
    pub insurance_vault: Account<'info, TokenAccount>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<InitializeExchange>) -> Result<()> {
    let exchange = &mut ctx.accounts.exchange;
    exchange.set_inner(Exchange {
        version: Exchange::VERSION,
        bump: ctx.bumps.exchange,
        quote_vault_bump: ctx.bumps.quote_vault,
        insurance_vault_bump: ctx.bumps.insurance_vault,
        paused: false,
        admin: ctx.accounts.admin.key(),
        quote_mint: ctx.accounts.quote_mint.key(),
        quote_vault: ctx.accounts.quote_vault.key(),
        insurance_vault: ctx.accounts.insurance_vault.key(),
        margin_account_count: 0,
        market_count: 0,
        liquidation_count: 0,
        total_collateral: 0,
        pending_admin: Pubkey::default(),
        reserved: [0; 96],
    });
    msg!("exchange initialized for quote mint {}", exchange.quote_mint);
    emit_event(&ExchangeInitialized {
        exchange: exchange.key(),
        admin: exchange.admin,
        quote_mint: exchange.quote_mint,
        quote_vault: exchange.quote_vault,
        insurance_vault: exchange.insurance_vault,
    });
    Ok(())
}
