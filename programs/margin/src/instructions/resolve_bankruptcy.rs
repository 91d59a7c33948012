use anchor_lang::prelude::*;
use anchor_spl::token::{Token, TokenAccount};

use crate::controller::bankruptcy::{allocate, charge, keep_backed};
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
    /// The first market of the account's shortfall record (any market of the exchange when the
    /// account has no record).
    #[account(
        mut,
        constraint = market.load()?.exchange == exchange.key() @ MarginError::WrongMarket,
        constraint = Market::readable(market.load()?.version) @ MarginError::UnsupportedLayout,
    )]
    pub market: AccountLoader<'info, Market>,
    #[account(mut, constraint = quote_vault.key() == exchange.quote_vault @ MarginError::WrongVault)]
    pub quote_vault: Account<'info, TokenAccount>,
    #[account(mut, constraint = insurance_vault.key() == exchange.insurance_vault @ MarginError::WrongVault)]
    pub insurance_vault: Account<'info, TokenAccount>,
    pub token_program: Program<'info, Token>,
}

/// Permissionless: for an account with no positions left and negative collateral, the deficit is
/// charged where it arose: to the markets of its shortfall record, newest first. Each market's
/// insurance fund pays its share into the market's pool, the pool also receives what the account
/// covered of its shortfall there, and what insurance cannot pay the pool forgoes; the account
/// returns to zero. The part of the deficit the account's own claims on pools back is not charged:
/// it stays on the account (collateral, record and `Bankrupt` status) until `settle_claim` pays it,
/// and a deficit they back entirely is refused (`DeficitBackedByClaims`). For an account with
/// collateral ≥ 0 and a record (it covered its deficit by
/// deposits or winnings), this settles the record: every recorded pool receives what it is owed,
/// and the account keeps its collateral and positions. Remaining accounts: the recorded markets after the first, writable, in
/// record order (`market` is the first). A deficit beyond the record (a version-1 account) is paid
/// by `market`'s insurance fund and its pool, down to zero.
pub fn handler<'info>(ctx: Context<'_, '_, 'info, 'info, ResolveBankruptcy<'info>>) -> Result<()> {
    let account_key = ctx.accounts.margin_account.key();
    let mut account = ctx.accounts.margin_account.load_mut()?;
    let bankrupt = account.open_positions().next().is_none() && account.collateral < 0;
    let covered = account.collateral >= 0 && !account.deficit_record().is_empty();
    require!(bankrupt || covered, MarginError::NotBankrupt);
    let deficit = account.deficit();
    // What the account's own claims on pools back of its deficit stays on it: those claims pay it
    // when their pools have money (`settle_claim`), so insurance and the pools are charged only
    // the rest.
    let backed = deficit.min(account.claims_total());
    require!(!bankrupt || backed < deficit, MarginError::DeficitBackedByClaims);
    let record = account.deficit_record();
    let recorded: Vec<i128> = record.iter().map(|(_, s)| i128::from(*s)).collect();
    let shares = allocate(deficit, &recorded)?.unwrap_or_default();
    let kept = keep_backed(&shares, backed);
    let unrecorded = deficit - shares.iter().sum::<i128>();

    let mut loaders = vec![ctx.accounts.market.clone()];
    for info in ctx.remaining_accounts.iter().take(record.len().saturating_sub(1)) {
        loaders.push(AccountLoader::<Market>::try_from(info)?);
    }
    require!(loaders.len() >= record.len(), MarginError::MissingPositionAccounts);

    let mut insurance_paid = 0u64;
    for (k, loader) in loaders.iter().enumerate() {
        let mut market = loader.load_mut()?;
        require!(market.exchange == ctx.accounts.exchange.key(), MarginError::WrongMarket);
        require!(Market::readable(market.version), MarginError::UnsupportedLayout);
        let (recorded_here, share) = match record.get(k) {
            Some((index, _)) => {
                require!(market.index == *index, MarginError::WrongMarket);
                (recorded[k] - kept[k], shares[k] - kept[k])
            }
            None => (0, 0),
        };
        let mut c = charge(recorded_here, share, i128::from(market.insurance_balance));
        if k == 0 && unrecorded > 0 {
            // A version-1 deficit: the pool was credited the loss, so it pays back what insurance cannot.
            let legacy = charge(0, unrecorded, i128::from(market.insurance_balance) - c.insurance_paid);
            let from_pool = legacy.socialized_loss.min((i128::from(market.pool_balance) + c.pool_credit).max(0));
            c.deficit += unrecorded;
            c.insurance_paid += legacy.insurance_paid;
            c.socialized_loss += from_pool;
            c.pool_credit -= from_pool;
        }
        market.insurance_balance =
            market.insurance_balance.checked_sub(to_i64(c.insurance_paid)?).ok_or(MarginError::MathOverflow)?;
        market.pool_balance =
            market.pool_balance.checked_add(to_i64(c.pool_credit)?).ok_or(MarginError::MathOverflow)?;
        market.total_insurance_paid = market.total_insurance_paid.saturating_add(to_u64(c.insurance_paid)?);
        market.total_socialized_loss = market.total_socialized_loss.saturating_add(to_u64(c.socialized_loss)?);
        insurance_paid = insurance_paid.checked_add(to_u64(c.insurance_paid)?).ok_or(MarginError::MathOverflow)?;
        emit_event(&BankruptcyResolved {
            margin_account: account_key,
            market: loader.key(),
            liquidation_id: account.liquidation_id,
            deficit: to_u64(c.deficit)?,
            insurance_paid: to_u64(c.insurance_paid)?,
            socialized_loss: to_u64(c.socialized_loss)?,
            insurance_balance_after: market.insurance_balance,
            pool_credit: to_u64(c.pool_credit.max(0))?,
        });
    }
    if bankrupt {
        account.collateral = -to_i64(backed)?;
        if backed == 0 {
            account.set_status(AccountStatus::Healthy);
        }
    }
    // The record keeps only what the claims back, in record order.
    let mut next = 0;
    let mut shortfalls = [0u64; MAX_POSITIONS];
    let mut indexes = [0u16; MAX_POSITIONS];
    for (k, (index, _)) in record.iter().enumerate() {
        if kept[k] > 0 {
            shortfalls[next] = to_u64(kept[k])?;
            indexes[next] = *index;
            next += 1;
        }
    }
    account.shortfalls = shortfalls;
    account.shortfall_market_indexes = indexes;
    drop(account);
    vault_transfer(
        &ctx.accounts.token_program.to_account_info(),
        &ctx.accounts.insurance_vault.to_account_info(),
        &ctx.accounts.quote_vault.to_account_info(),
        &ctx.accounts.exchange,
        insurance_paid,
    )
}
