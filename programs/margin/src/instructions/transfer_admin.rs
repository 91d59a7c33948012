//! Two-step admin transfer: the admin proposes, the proposed key accepts by signing, so a typo can
//! never hand the exchange to a key nobody holds.

use anchor_lang::prelude::*;

use crate::errors::MarginError;
use crate::events::{emit_event, AdminChanged, AdminProposed};
use crate::state::*;

#[derive(Accounts)]
pub struct ProposeAdmin<'info> {
    pub admin: Signer<'info>,
    #[account(mut, constraint = exchange.admin == admin.key() @ MarginError::Unauthorized)]
    pub exchange: Account<'info, Exchange>,
}

#[derive(Accounts)]
pub struct AcceptAdmin<'info> {
    pub new_admin: Signer<'info>,
    #[account(mut, constraint = exchange.pending_admin == new_admin.key() @ MarginError::NotPendingAdmin)]
    pub exchange: Account<'info, Exchange>,
}

/// Records `new_admin` as pending (`Pubkey::default()` withdraws a proposal).
pub fn propose(ctx: Context<ProposeAdmin>, new_admin: Pubkey) -> Result<()> {
    let exchange = &mut ctx.accounts.exchange;
    exchange.pending_admin = new_admin;
    exchange.version = Exchange::VERSION;
    emit_event(&AdminProposed { exchange: exchange.key(), admin: exchange.admin, pending_admin: new_admin });
    Ok(())
}

pub fn accept(ctx: Context<AcceptAdmin>) -> Result<()> {
    let new_admin = ctx.accounts.new_admin.key();
    require!(new_admin != Pubkey::default(), MarginError::NotPendingAdmin);
    let exchange = &mut ctx.accounts.exchange;
    let previous_admin = exchange.admin;
    exchange.admin = new_admin;
    exchange.pending_admin = Pubkey::default();
    emit_event(&AdminChanged { exchange: exchange.key(), previous_admin, admin: new_admin });
    Ok(())
}
