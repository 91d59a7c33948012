use anchor_lang::prelude::*;

pub const EXCHANGE_SEED: &[u8] = b"exchange";
pub const QUOTE_VAULT_SEED: &[u8] = b"quote_vault";
pub const INSURANCE_VAULT_SEED: &[u8] = b"insurance_vault";

/// One exchange per quote mint. PDA: `["exchange", quote_mint]`. It is the token authority of both
/// vaults, so only this program moves vault funds. The quote vault holds every account's
/// collateral and every market's pool balance; the insurance vault holds the insurance funds.
#[account]
#[derive(InitSpace)]
pub struct Exchange {
    /// Layout version. History: 1 = initial layout; 2 = `pending_admin` taken from `reserved`
    /// (same size and offsets; a version-1 account reads as no pending admin).
    pub version: u8,
    pub bump: u8,
    pub quote_vault_bump: u8,
    pub insurance_vault_bump: u8,
    /// Global pause: nothing that adds risk or moves collateral out (reducing risk stays allowed).
    pub paused: bool,
    pub admin: Pubkey,
    pub quote_mint: Pubkey,
    /// PDA `["quote_vault", exchange]`.
    pub quote_vault: Pubkey,
    /// PDA `["insurance_vault", exchange]`.
    pub insurance_vault: Pubkey,
    pub margin_account_count: u64,
    pub market_count: u16,
    /// Last liquidation id handed out (ids start at 1).
    pub liquidation_count: u64,
    /// Deposits minus withdrawals, quote native units, floored at zero: informational only (once
    /// traders as a group win from the pools, withdrawals exceed deposits). Nothing is gated on it.
    pub total_collateral: u64,
    /// Proposed by `propose_admin`, takes over on `accept_admin`; `Pubkey::default()` when none.
    pub pending_admin: Pubkey,
    pub reserved: [u8; 96],
}

impl Exchange {
    pub const VERSION: u8 = 2;

    pub fn signer_seeds(&self) -> [&[u8]; 3] {
        [EXCHANGE_SEED, self.quote_mint.as_ref(), std::slice::from_ref(&self.bump)]
    }
}
