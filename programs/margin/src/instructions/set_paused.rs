use anchor_lang::prelude::*;

use crate::errors::MarginError;
use crate::events::{emit_event, PauseChanged};
use crate::state::*;

#[derive(Accounts)]
pub struct SetPaused<'info> {
    pub admin: Signer<'info>,
    #[account(mut, constraint = exchange.admin == admin.key() @ MarginError::Unauthorized)]
    pub exchange: Account<'info, Exchange>,
    /// The market to switch; absent for the exchange-wide switch.
    #[account(mut, constraint = market.load()?.exchange == exchange.key() @ MarginError::WrongMarket)]
    pub market: Option<AccountLoader<'info, Market>>,
}

/// Pausing stops everything that adds risk or moves collateral out. Reducing risk, deposits,
/// liquidations and bankruptcy resolution continue.
pub fn handler(ctx: Context<SetPaused>, paused: bool) -> Result<()> {
    let key = match &ctx.accounts.market {
        Some(market) => {
            market.load_mut()?.paused = u8::from(paused);
            market.key()
        }
        None => {
            ctx.accounts.exchange.paused = paused;
            Pubkey::default()
        }
    };
    emit_event(&PauseChanged { market: key, paused });
    Ok(())
}
