use anchor_lang::prelude::*;

pub const MARGIN_ACCOUNT_SEED: &[u8] = b"margin";
pub const MAX_POSITIONS: usize = 8;
/// Markets in which one account can hold an unpaid claim at once.
pub const MAX_CLAIMS: usize = 4;

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
    /// Layout version. History: 1 = initial layout; 2 = `shortfalls` and
    /// `shortfall_market_indexes` taken from the front of `reserved` (size and every earlier offset
    /// unchanged; a version-1 account reads as having no record); 3 = `claims` and
    /// `claim_market_indexes` taken from `reserved` the same way (an earlier account has none).
    pub version: u8,
    pub bump: u8,
    /// `AccountStatus` as u8.
    pub status: u8,
    pub padding: [u8; 5],
    /// Losses the collateral could not pay, quote native units, per market
    /// (`shortfall_market_indexes`, the market's `index`): that market's pool was not credited them.
    /// Σ shortfalls ≥ the deficit (−collateral when negative); the covered part (oldest first) is
    /// paid to the markets' pools at their next fill for this account or by `resolve_bankruptcy`,
    /// which charges a deficit to the newest entries (`controller::bankruptcy`). Oldest first, no
    /// gaps.
    pub shortfalls: [u64; MAX_POSITIONS],
    pub shortfall_market_indexes: [u16; MAX_POSITIONS],
    /// Winnings a pool could not pay at a close, quote native units, per market
    /// (`claim_market_indexes`): the pool owes them (`Market.total_claims`) and pays them as it
    /// receives money, at this account's next fill in that market or by `settle_claim`. Oldest
    /// first, no gaps; with all `MAX_CLAIMS` taken, a haircut in another market stays a plain
    /// haircut.
    pub claims: [u64; MAX_CLAIMS],
    pub claim_market_indexes: [u16; MAX_CLAIMS],
    pub reserved: [u8; 8],
}

impl MarginAccount {
    pub const VERSION: u8 = 3;
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

    /// The record slot of market `market_index`, if it has one.
    pub fn shortfall_slot(&self, market_index: u16) -> Option<usize> {
        find_entry(&self.shortfalls, &self.shortfall_market_indexes, market_index)
    }

    /// Whether a new position may be opened in market `market_index`: the markets the account holds
    /// positions in plus those its shortfall record names stay within `MAX_POSITIONS`, so a
    /// shortfall always finds its own record slot (a market with both counts twice, the safe side).
    pub fn room_for_market(&self, market_index: u16) -> bool {
        if self.shortfall_slot(market_index).is_some() {
            return true;
        }
        let recorded = self.shortfalls.iter().filter(|&&s| s > 0).count();
        recorded + self.open_positions().count() < MAX_POSITIONS
    }

    /// Adds `amount` to market `market_index`'s shortfall. Entries stay in the order markets first
    /// appeared (oldest first, no gaps); a new market takes the next slot. Opening positions keeps
    /// positions plus recorded markets within the slots (`room_for_market`), so all eight are never
    /// taken when a new market's shortfall arrives; should an account from before that rule have
    /// them all taken, the shortfall joins the newest entry, whose market is then charged for both.
    pub fn record_shortfall(&mut self, market_index: u16, amount: u64) {
        if amount == 0 {
            return;
        }
        self.version = Self::VERSION;
        let slot =
            entry_slot(&self.shortfalls, &mut self.shortfall_market_indexes, market_index).unwrap_or(MAX_POSITIONS - 1);
        self.shortfalls[slot] = self.shortfalls[slot].saturating_add(amount);
    }

    /// Sets entry `slot` to `amount`, closing the gap when it empties so the order holds.
    pub fn set_shortfall(&mut self, slot: usize, amount: u64) {
        set_entry(&mut self.shortfalls, &mut self.shortfall_market_indexes, slot, amount);
    }

    /// The claim slot of market `market_index`, if it has one.
    pub fn claim_slot(&self, market_index: u16) -> Option<usize> {
        find_entry(&self.claims, &self.claim_market_indexes, market_index)
    }

    /// Records `amount` the pool of market `market_index` could not pay; returns how much was
    /// recorded (all of it, or nothing when every claim slot holds another market).
    pub fn record_claim(&mut self, market_index: u16, amount: u64) -> u64 {
        if amount == 0 {
            return 0;
        }
        let Some(slot) = entry_slot(&self.claims, &mut self.claim_market_indexes, market_index) else { return 0 };
        self.version = Self::VERSION;
        self.claims[slot] = self.claims[slot].saturating_add(amount);
        amount
    }

    /// Σ of the account's unpaid claims.
    pub fn claims_total(&self) -> i128 {
        self.claims.iter().map(|&c| i128::from(c)).sum()
    }

    /// Sets claim `slot` to `amount`, closing the gap when it empties.
    pub fn set_claim(&mut self, slot: usize, amount: u64) {
        set_entry(&mut self.claims, &mut self.claim_market_indexes, slot, amount);
    }

    /// Every record entry as i128, slot order (zeros included, so slots index it).
    pub fn shortfall_amounts(&self) -> [i128; MAX_POSITIONS] {
        self.shortfalls.map(i128::from)
    }

    /// `(market index, shortfall)` of every recorded entry, in slot order.
    pub fn deficit_record(&self) -> Vec<(u16, u64)> {
        (0..MAX_POSITIONS)
            .filter(|&i| self.shortfalls[i] > 0)
            .map(|i| (self.shortfall_market_indexes[i], self.shortfalls[i]))
            .collect()
    }

    /// The deficit the record backs: −collateral when negative.
    pub fn deficit(&self) -> i128 {
        (-i128::from(self.collateral)).max(0)
    }
}

/// The entry of market `market_index` in a per-market record (amounts beside their market indexes,
/// oldest first, no gaps), if it has one.
fn find_entry(amounts: &[u64], indexes: &[u16], market_index: u16) -> Option<usize> {
    (0..amounts.len()).find(|&i| amounts[i] > 0 && indexes[i] == market_index)
}

/// The entry of market `market_index`, or the next free one claimed for it; `None` when full.
fn entry_slot(amounts: &[u64], indexes: &mut [u16], market_index: u16) -> Option<usize> {
    if let Some(k) = find_entry(amounts, indexes, market_index) {
        return Some(k);
    }
    let used = amounts.iter().take_while(|&&a| a > 0).count();
    (used < amounts.len()).then(|| {
        indexes[used] = market_index;
        used
    })
}

/// Sets entry `slot` of a per-market record (amounts beside their market indexes, oldest first, no
/// gaps) to `amount`; an emptied entry's successors move up one.
fn set_entry(amounts: &mut [u64], indexes: &mut [u16], slot: usize, amount: u64) {
    amounts[slot] = amount;
    if amount == 0 {
        amounts[slot..].rotate_left(1);
        indexes[slot..].rotate_left(1);
        let last = amounts.len() - 1;
        amounts[last] = 0;
        indexes[last] = 0;
    }
}

const _: () = assert!(std::mem::size_of::<Position>() == 48);
const _: () = assert!(std::mem::size_of::<MarginAccount>() == MarginAccount::SIZE);
