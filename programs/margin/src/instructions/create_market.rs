use anchor_lang::prelude::*;

use crate::controller::params;
use crate::errors::MarginError;
use crate::events::{emit_event, MarketCreated};
use crate::state::*;

#[derive(Accounts)]
pub struct CreateMarket<'info> {
    #[account(mut)]
    pub admin: Signer<'info>,
    #[account(mut, constraint = exchange.admin == admin.key() @ MarginError::Unauthorized)]
    pub exchange: Account<'info, Exchange>,
    #[account(
        init,
        payer = admin,
        space = 8 + Market::SIZE,
        seeds = [MARKET_SEED, exchange.key().as_ref(), &exchange.market_count.to_le_bytes()],
        bump,
    )]
    pub market: AccountLoader<'info, Market>,
    /// CHECK: the market's price account; its owner and layout are checked against `params`.
    pub oracle: UncheckedAccount<'info>,
    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<CreateMarket>, params: MarketParams) -> Result<()> {
    params::validate_or_error(&params)?;
    let exchange = &mut ctx.accounts.exchange;
    let mut market = ctx.accounts.market.load_init()?;
    market.exchange = exchange.key();
    market.oracle = ctx.accounts.oracle.key();
    market.index = exchange.market_count;
    market.version = Market::VERSION;
    market.bump = ctx.bumps.market;
    market.apply_params(&params);
    // The oracle must already read as a price in the declared layout.
    super::common::parse_oracle(&market, &ctx.accounts.oracle.to_account_info())?;

    exchange.market_count = exchange.market_count.checked_add(1).ok_or(MarginError::MathOverflow)?;
    emit_event(&MarketCreated { market: ctx.accounts.market.key(), index: market.index, oracle: market.oracle });
    Ok(())
}
