//! margin-warden's on-chain program: an exchange with a quote vault and an insurance vault,
//! oracle-priced perpetual markets traded against a pool, cross-margined accounts with tiered and
//! volatility-aware requirements, partial liquidation, insurance and bankruptcy resolution.
//!
//! Layers: `math` (pure integer functions), `controller` (state changes on plain structs),
//! `state` (account layouts), `instructions` (one file each: accounts + thin handler).

use anchor_lang::prelude::*;

pub mod controller;
pub mod errors;
pub mod events;
pub mod instructions;
pub mod math;
pub mod state;

use instructions::*;
use state::MarketParams;

declare_id!("796WEWCyqBUDsnMbNSLgaJR5bZAG32237yywsBogJnfG");

#[program]
pub mod margin {
    use super::*;

    // ---- admin ----

    /// Creates the exchange for one quote mint, with its quote vault and insurance-fund vault.
    pub fn initialize_exchange(ctx: Context<InitializeExchange>) -> Result<()> {
        instructions::initialize_exchange::handler(ctx)
    }

    /// Creates the next market (PDA `["market", exchange, index as u16 LE]`) priced by `oracle`.
    pub fn create_market(ctx: Context<CreateMarket>, params: MarketParams) -> Result<()> {
        instructions::create_market::handler(ctx, params)
    }

    /// Replaces a market's parameters (validated as at creation).
    pub fn update_market(ctx: Context<UpdateMarket>, params: MarketParams) -> Result<()> {
        instructions::update_market::handler(ctx, params)
    }

    /// Moves a market to another oracle account (same layout, owner and feed as the market declares).
    pub fn set_market_oracle(ctx: Context<SetMarketOracle>) -> Result<()> {
        instructions::set_market_oracle::handler(ctx)
    }

    /// Settles a market whose oracle died at a fixed price: its positions are valued and closed at
    /// it from then on, nothing adds risk.
    pub fn settle_market(ctx: Context<SettleMarket>, price: u64) -> Result<()> {
        instructions::settle_market::handler(ctx, price)
    }

    /// Pauses or unpauses the exchange (no `market`) or one market.
    pub fn set_paused(ctx: Context<SetPaused>, paused: bool) -> Result<()> {
        instructions::set_paused::handler(ctx, paused)
    }

    /// Proposes `new_admin`; the change takes effect when it signs `accept_admin`.
    pub fn propose_admin(ctx: Context<ProposeAdmin>, new_admin: Pubkey) -> Result<()> {
        instructions::transfer_admin::propose(ctx, new_admin)
    }

    /// The proposed admin takes over the exchange.
    pub fn accept_admin(ctx: Context<AcceptAdmin>) -> Result<()> {
        instructions::transfer_admin::accept(ctx)
    }

    /// Adds (positive) or removes (negative) pool liquidity, quote native units.
    pub fn pool_liquidity(ctx: Context<PoolLiquidity>, amount: i64) -> Result<()> {
        instructions::pool_liquidity::handler(ctx, amount)
    }

    /// Adds `amount` quote native units to a market's insurance fund (anyone may).
    pub fn fund_insurance(ctx: Context<FundInsurance>, amount: u64) -> Result<()> {
        instructions::fund_insurance::handler(ctx, amount)
    }

    // ---- users ----

    /// Creates the caller's margin account on an exchange.
    pub fn create_margin_account(ctx: Context<CreateMarginAccount>) -> Result<()> {
        instructions::create_margin_account::handler(ctx)
    }

    /// Moves `amount` quote tokens (native units) from the owner's token account into the vault.
    /// A bankrupt account whose deficit this covers returns to healthy; a flagged one does when
    /// the optional remaining accounts (`[market, oracle]` per open position) show it back at or
    /// above its liquidation-end level.
    pub fn deposit<'info>(ctx: Context<'_, '_, 'info, 'info, Deposit<'info>>, amount: u64) -> Result<()> {
        instructions::deposit::handler(ctx, amount)
    }

    /// Moves `amount` quote tokens (native units) from the vault back to the owner, keeping the
    /// initial requirement. Remaining accounts: `[market, oracle]` per open position.
    pub fn withdraw<'info>(ctx: Context<'_, '_, 'info, 'info, Withdraw<'info>>, amount: u64) -> Result<()> {
        instructions::withdraw::handler(ctx, amount)
    }

    /// Trades `base_delta` (BASE_PRECISION, signed) in a market against the pool, no worse than
    /// `limit_price` (PRICE_PRECISION). Remaining accounts: `[market, oracle]` per other position
    /// (optional for a reduction: given, a flagged account back at its liquidation-end level is unflagged).
    pub fn trade<'info>(
        ctx: Context<'_, '_, 'info, 'info, Trade<'info>>,
        base_delta: i64,
        limit_price: u64,
    ) -> Result<()> {
        instructions::trade::handler(ctx, base_delta, limit_price)
    }

    // ---- keepers (permissionless) ----

    /// Folds the oracle's newest observation into the market's volatility estimate.
    pub fn refresh_market(ctx: Context<RefreshMarket>) -> Result<()> {
        instructions::refresh_market::handler(ctx)
    }

    /// Flags an account below maintenance as being liquidated.
    pub fn flag_account<'info>(ctx: Context<'_, '_, 'info, 'info, FlagAccount<'info>>) -> Result<()> {
        instructions::flag_account::handler(ctx)
    }

    /// Returns a flagged account that is back at or above its liquidation-end level (or empty with
    /// collateral ≥ 0) to healthy. Remaining accounts: `[market, oracle]` per open position.
    pub fn unflag_account<'info>(ctx: Context<'_, '_, 'info, 'info, UnflagAccount<'info>>) -> Result<()> {
        instructions::unflag_account::handler(ctx)
    }

    /// Closes just enough of the account's position in `market` to restore the liquidation-end
    /// level, no worse than `limit_price`. Remaining accounts: `[market, oracle]` per other position.
    pub fn liquidate<'info>(ctx: Context<'_, '_, 'info, 'info, Liquidate<'info>>, limit_price: u64) -> Result<()> {
        instructions::liquidate::handler(ctx, limit_price)
    }

    /// Pays an empty account's negative collateral where it arose: the markets whose losses it
    /// recorded, each from its insurance fund, then its pool down to zero, the rest recorded as bad
    /// debt. Remaining accounts: the recorded markets after the first (writable).
    pub fn resolve_bankruptcy<'info>(ctx: Context<'_, '_, 'info, 'info, ResolveBankruptcy<'info>>) -> Result<()> {
        instructions::resolve_bankruptcy::handler(ctx)
    }

    /// Pays an account's claim on a market's pool (winnings the pool could not pay at a close) as
    /// far as the pool now holds money. Anyone may call it.
    pub fn settle_claim(ctx: Context<SettleClaim>) -> Result<()> {
        instructions::settle_claim::handler(ctx)
    }
}
