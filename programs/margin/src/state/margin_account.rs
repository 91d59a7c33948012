use anchor_lang::prelude::*;

pub const MARGIN_ACCOUNT_SEED: &[u8] = b"margin";
pub const MAX_POSITIONS: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum AccountStatus {
    Healthy = 0,
    /// Flagged below maintenance; stays liquidatable until back above the liquidation-end level.
    BeingLiquidated = 1,
    /// No positions left and negative collateral: awaits `resolve_bankruptcy`.
    Bankrupt = 2,
}

/// One perpetual position. `base` in BASE_PRECISION (signed); `quote_entry` is the signed quote
/// amount its opening trades moved (negative for a long), so PnL = base × price + quote_entry.
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Position {
    pub market: Pubkey,
    pub base: i64,
    pub quote_entry: i64,
}

impl Position {
    pub fn is_open(&self) -> bool {
        self.base != 0 || self.quote_entry != 0
    }
}

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
    /// The liquidation this account is in (0 when never flagged); unchanged when it ends.
    pub liquidation_id: u64,
    pub positions: [Position; MAX_POSITIONS],
    /// Layout version. History: 1 = initial layout.
    pub version: u8,
    pub bump: u8,
    /// `AccountStatus` as u8.
    pub status: u8,
    pub padding: [u8; 5],
    pub reserved: [u8; 128],
}

impl MarginAccount {
    pub const VERSION: u8 = 1;
    pub const SIZE: usize = 32 + 32 + 8 + 8 + 8 + MAX_POSITIONS * 48 + 8 + 128;
    pub const OWNER_OFFSET: usize = 8;
    /// Byte offset of `status` in the account data (after the discriminator).
    pub const STATUS_OFFSET: usize = 8 + 32 + 32 + 8 + 8 + 8 + MAX_POSITIONS * 48 + 2;

    pub fn status(&self) -> AccountStatus {
        match self.status {
            1 => AccountStatus::BeingLiquidated,
            2 => AccountStatus::Bankrupt,
            _ => AccountStatus::Healthy,
        }
    }

    pub fn set_status(&mut self, status: AccountStatus) {
        self.status = status as u8;
    }

    pub fn open_positions(&self) -> impl Iterator<Item = &Position> {
        self.positions.iter().filter(|p| p.is_open())
    }

    pub fn position_index(&self, market: &Pubkey) -> Option<usize> {
        self.positions.iter().position(|p| p.is_open() && p.market == *market)
    }
}

const _: () = assert!(std::mem::size_of::<Position>() == 48);
const _: () = assert!(std::mem::size_of::<MarginAccount>() == MarginAccount::SIZE);
