//! The write-back shared by trades and liquidations, on the plain account and market structs.

use anchor_lang::prelude::Pubkey;

use crate::controller::bankruptcy::settle_entry;
use crate::controller::trade::settle_with_pool;
use crate::errors::MarginError;
use crate::math::checked::{to_i64, to_u64};
use crate::math::position::TradeResult;
use crate::state::{MarginAccount, Market, Position};

/// What a fill credited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fill {
    /// Realized PnL after any haircut (added to the collateral).
    pub credited: i64,
    /// Realized PnL the fill owed the account (when it won).
    pub owed: u64,
    /// Winnings the pool could not pay.
    pub haircut: u64,
    /// The part of the haircut recorded as the account's claim on the pool (`settle_claim`).
    pub claimed: u64,
    /// Paid to the account from its earlier claim in this market.
    pub claim_paid: u64,
}

/// The position in `slot` becomes `result`; the realized PnL settles with the pool
/// (`settle_with_pool`: winnings down to a zero pool, the rest a recorded haircut; a loss as far as
/// the collateral pays it, the rest the account's recorded shortfall in this market); what the
/// account has covered of its earlier shortfall here goes to the pool; a haircut is recorded as the
/// account's claim on the pool, and an earlier claim here is paid as far as the pool holds money;
/// open interest and the market's per-side Σ quote entries move.
pub fn apply_fill(
    account: &mut MarginAccount,
    slot: usize,
    market: &mut Market,
    market_key: Pubkey,
    base_before: i128,
    result: &TradeResult,
) -> Result<Fill, MarginError> {
    let quote_entry_before =
        if account.positions[slot].is_open() { i128::from(account.positions[slot].quote_entry) } else { 0 };
    move_quote_entry(market, base_before, -quote_entry_before)?;
    move_quote_entry(market, result.base, result.quote_entry)?;
    account.positions[slot] = if result.base == 0 && result.quote_entry == 0 {
        Position::default()
    } else {
        Position { market: market_key, base: to_i64(result.base)?, quote_entry: to_i64(result.quote_entry)? }
    };
    // Claims come first: a winner is paid from what the pool holds beyond them.
    let free = i128::from(market.pool_balance) - i128::from(market.total_claims);
    let s = settle_with_pool(result.realized_pnl, free, i128::from(account.collateral));
    account.collateral = account.collateral.checked_add(to_i64(s.to_trader)?).ok_or(MarginError::MathOverflow)?;
    market.pool_balance = market.pool_balance.checked_add(to_i64(s.pool_delta)?).ok_or(MarginError::MathOverflow)?;
    account.record_shortfall(market.index, to_u64(s.shortfall)?);
    if let Some(k) = account.shortfall_slot(market.index) {
        let (covered, kept) = settle_entry(account.deficit(), &account.shortfall_amounts(), k)?;
        market.pool_balance = market.pool_balance.checked_add(to_i64(covered)?).ok_or(MarginError::MathOverflow)?;
        account.set_shortfall(k, to_u64(kept)?);
    }
    let haircut = to_u64(s.haircut)?;
    market.total_haircut = market.total_haircut.saturating_add(haircut);
    // An earlier claim here is paid first; this fill's haircut then joins the claims, behind the
    // money that already backs the others.
    let claim_paid = pay_claim(account, market)?;
    let claimed = account.record_claim(market.index, haircut);
    market.total_claims = market.total_claims.checked_add(claimed).ok_or(MarginError::MathOverflow)?;
    update_open_interest(market, base_before, result.base)?;
    Ok(Fill { credited: to_i64(s.to_trader)?, owed: to_u64(result.realized_pnl.max(0))?, haircut, claimed, claim_paid })
}

/// Pays the account's claim in `market` as far as the pool holds money: into its collateral, out of
/// the pool and the market's Σ claims. Returns what was paid.
pub fn pay_claim(account: &mut MarginAccount, market: &mut Market) -> Result<u64, MarginError> {
    let Some(k) = account.claim_slot(market.index) else { return Ok(0) };
    let paid = account.claims[k].min(u64::try_from(market.pool_balance.max(0)).map_err(|_| MarginError::MathOverflow)?);
    if paid == 0 {
        return Ok(0);
    }
    account.set_claim(k, account.claims[k] - paid);
    market.total_claims = market.total_claims.saturating_sub(paid);
    market.pool_balance =
        market.pool_balance.checked_sub(to_i64(i128::from(paid))?).ok_or(MarginError::MathOverflow)?;
    account.collateral = account.collateral.checked_add(to_i64(i128::from(paid))?).ok_or(MarginError::MathOverflow)?;
    Ok(paid)
}

/// Adds `amount` to the Σ quote entry of the side `base` is on (nothing for a flat position).
fn move_quote_entry(market: &mut Market, base: i128, amount: i128) -> Result<(), MarginError> {
    if base > 0 {
        market.quote_entry_sum_long = to_i64(i128::from(market.quote_entry_sum_long) + amount)?;
    } else if base < 0 {
        market.quote_entry_sum_short = to_i64(i128::from(market.quote_entry_sum_short) + amount)?;
    }
    Ok(())
}

/// Moves `base` of the open interest from `before` to `after` (each side counted separately).
pub fn update_open_interest(market: &mut Market, before: i128, after: i128) -> Result<(), MarginError> {
    let side = |b: i128| (b.max(0), (-b).max(0));
    let (long_before, short_before) = side(before);
    let (long_after, short_after) = side(after);
    let long = i128::from(market.long_open_interest) - long_before + long_after;
    let short = i128::from(market.short_open_interest) - short_before + short_after;
    market.long_open_interest = u64::try_from(long).map_err(|_| MarginError::MathOverflow)?;
    market.short_open_interest = u64::try_from(short).map_err(|_| MarginError::MathOverflow)?;
    Ok(())
}
