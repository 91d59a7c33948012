use anchor_lang::prelude::*;

pub const MARGIN_ACCOUNT_SEED: &[u8] = b"margin";

/// A trader's cross-margined account. PDA: `["margin", exchange, owner]`.
///
/// Zero-copy and `repr(C)`: UIs and the orchestrator read fields at fixed offsets (owner at byte 8,
/// right after the discriminator, so `getProgramAccounts` can filter by owner with one memcmp).
#[account(zero_copy)]
#[repr(C)]
pub struct MarginAccount {
    pub owner: Pubkey,
    pub exchange: Pubkey,
    /// Quote native units; negative only while a bankruptcy awaits resolution.
    pub collateral: i64,
    pub last_active_slot: u64,
    /// Layout version. History: 1 = initial layout.
    pub version: u8,
    pub bump: u8,
    pub padding: [u8; 6],
    pub reserved: [u8; 256],
}

impl MarginAccount {
    pub const VERSION: u8 = 1;
    pub const SIZE: usize = 32 + 32 + 8 + 8 + 1 + 1 + 6 + 256;
    pub const OWNER_OFFSET: usize = 8;
}

const _: () = assert!(std::mem::size_of::<MarginAccount>() == MarginAccount::SIZE);
