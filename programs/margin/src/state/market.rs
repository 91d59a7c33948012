use anchor_lang::prelude::*;

use crate::math::margin::Tier;

pub const MARKET_SEED: &[u8] = b"market";
/// Exchanges publish ten or more leverage brackets per market; room for sixteen.
pub const MAX_TIERS: usize = 16;

/// One row of a market's margin table (see `math::margin::Tier`).
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct MarginTierConfig {
    /// Quote native units; the last tier's bound is ignored (unbounded).
    pub notional_upper: u64,
    /// RATIO_PRECISION (1e6 = 100%).
    pub initial_ratio: u32,
    /// RATIO_PRECISION.
    pub maintenance_ratio: u32,
}

/// `(notional_upper, initial_ratio, maintenance_ratio)` rows as the math's tiers; the last tier is
/// unbounded whatever its stored bound.
pub fn math_tiers(rows: impl ExactSizeIterator<Item = (u64, u32, u32)>) -> Vec<Tier> {
    let n = rows.len();
    rows.enumerate()
        .map(|(k, (upper, initial, maintenance))| Tier {
            notional_upper: if k + 1 == n { i128::MAX } else { i128::from(upper) },
            initial_ratio: i128::from(initial),
            maintenance_ratio: i128::from(maintenance),
        })
        .collect()
}

/// A margin tier as given in `MarketParams` (same fields as `MarginTierConfig`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, AnchorSerialize, AnchorDeserialize)]
pub struct TierParams {
    /// Quote native units; ignored for the last tier (unbounded).
    pub notional_upper: u64,
    /// RATIO_PRECISION (1e6 = 100%).
    pub initial_ratio: u32,
    /// RATIO_PRECISION.
    pub maintenance_ratio: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, AnchorSerialize, AnchorDeserialize)]
#[repr(u8)]
pub enum OracleLayout {
    /// Pyth receiver `PriceUpdateV2` (Solana mainnet today).
    PriceUpdateV2 = 0,
    /// Pyth legacy push price account (what `@pythnetwork/client` parses).
    LegacyPush = 1,
}

/// Everything an admin sets on a market. Ratios in RATIO_PRECISION (1e6 = 100%), amounts in quote
/// native units, sizes in BASE_PRECISION, ages in seconds.
#[derive(Clone, Debug, PartialEq, Eq, AnchorSerialize, AnchorDeserialize)]
pub struct MarketParams {
    pub oracle_layout: OracleLayout,
    /// The program that must own the oracle account.
    pub oracle_owner: Pubkey,
    /// Pyth feed id (checked for `PriceUpdateV2`; ignored for the legacy layout).
    pub feed_id: [u8; 32],
    pub max_oracle_age_open_s: u32,
    pub max_oracle_age_liquidate_s: u32,
    pub max_conf_ratio_open: u32,
    pub max_conf_ratio_liquidate: u32,
    pub tiers: Vec<TierParams>,
    pub liquidation_buffer_ratio: u32,
    pub liquidator_fee_ratio: u32,
    pub insurance_fee_ratio: u32,
    /// Largest notional one liquidation closes.
    pub max_liquidation_notional: u64,
    /// A remainder smaller than this notional is closed in full.
    pub min_remainder_notional: u64,
    pub base_impact_ratio: u32,
    pub impact_ratio_per_million: u32,
    pub max_impact_ratio: u32,
    /// Cap on each side's open interest.
    pub max_open_interest_base: u64,
    /// EWMA decay per second (`λ^Δt` over Δt seconds between observations).
    pub ewma_lambda: u32,
    /// Add-on = multiplier × volatility, capped.
    pub vol_multiplier: u32,
    pub vol_addon_cap: u32,
}

/// An oracle-priced perpetual traded against the exchange's pool. PDA: `["market", exchange, index]`.
#[account(zero_copy)]
#[repr(C)]
pub struct Market {
    pub exchange: Pubkey,
    pub oracle: Pubkey,
    pub oracle_owner: Pubkey,
    pub feed_id: [u8; 32],
    pub tiers: [MarginTierConfig; MAX_TIERS],
    pub max_liquidation_notional: u64,
    pub min_remainder_notional: u64,
    pub max_open_interest_base: u64,
    pub long_open_interest: u64,
    pub short_open_interest: u64,
    /// EWMA variance of oracle returns, RATIO_PRECISION².
    pub ewma_variance: u64,
    pub last_oracle_price: i64,
    pub last_oracle_publish_time: i64,
    /// The pool's cash: counterparty to every trade, quote native units (in the quote vault).
    pub pool_balance: i64,
    /// This market's insurance fund, quote native units (in the insurance vault).
    pub insurance_balance: i64,
    pub total_liquidations: u64,
    pub total_liquidated_notional: u64,
    pub total_liquidation_fees: u64,
    pub total_insurance_paid: u64,
    pub total_socialized_loss: u64,
    pub max_oracle_age_open_s: u32,
    pub max_oracle_age_liquidate_s: u32,
    pub max_conf_ratio_open: u32,
    pub max_conf_ratio_liquidate: u32,
    pub liquidation_buffer_ratio: u32,
    pub liquidator_fee_ratio: u32,
    pub insurance_fee_ratio: u32,
    pub base_impact_ratio: u32,
    pub impact_ratio_per_million: u32,
    pub max_impact_ratio: u32,
    pub ewma_lambda: u32,
    pub vol_multiplier: u32,
    pub vol_addon_cap: u32,
    /// Current volatility add-on, RATIO_PRECISION (derived from `ewma_variance`).
    pub vol_addon_ratio: u32,
    pub index: u16,
    /// Layout version. History: 1 = initial layout (4 tiers); 2 = 16 tiers, `total_haircut`,
    /// the per-side Σ quote entries and `settlement_price`, all taken from `reserved` (same size; every field after `tiers` moved);
    /// 3 = `total_claims` from the front of `reserved` (size and every other offset unchanged).
    pub version: u8,
    pub bump: u8,
    /// `OracleLayout` as u8.
    pub oracle_layout: u8,
    pub paused: u8,
    pub tier_count: u8,
    pub padding: [u8; 1],
    /// Winnings the pool could not pay at a close (the winner was paid what the pool held).
    pub total_haircut: u64,
    /// Σ `quote_entry` of the open long positions in this market, and of the short ones: with each
    /// side's open interest they give each side's aggregate PnL, which the pool's balance backs.
    pub quote_entry_sum_long: i64,
    pub quote_entry_sum_short: i64,
    /// Set by `settle_market` (PRICE_PRECISION; 0 = trading): every position is then valued and
    /// closed at this price with no confidence interval, whatever the oracle says, and nothing may
    /// add risk.
    pub settlement_price: i64,
    /// Σ of the traders' recorded claims on this pool (winnings it could not pay at a close, not
    /// yet paid): liquidity may leave only above them.
    pub total_claims: u64,
    pub reserved: [u8; 24],
}

impl Market {
    pub const VERSION: u8 = 3;
    pub const SIZE: usize = 128 + 16 * MAX_TIERS + 15 * 8 + 14 * 4 + 8 + 32 + 32;

    /// Versions this program reads: 3, and 2, whose `total_claims` bytes were reserved (zero).
    pub fn readable(version: u8) -> bool {
        version == 2 || version == Self::VERSION
    }

    pub fn tiers(&self) -> Vec<Tier> {
        math_tiers(
            self.tiers[..usize::from(self.tier_count)]
                .iter()
                .map(|t| (t.notional_upper, t.initial_ratio, t.maintenance_ratio)),
        )
    }

    pub fn oracle_layout(&self) -> OracleLayout {
        if self.oracle_layout == OracleLayout::LegacyPush as u8 {
            OracleLayout::LegacyPush
        } else {
            OracleLayout::PriceUpdateV2
        }
    }

    pub fn is_paused(&self) -> bool {
        self.paused != 0
    }

    pub fn is_settled(&self) -> bool {
        self.settlement_price > 0
    }

    /// Copies validated parameters in (the oracle account itself is set at creation).
    pub fn apply_params(&mut self, p: &MarketParams) {
        self.oracle_layout = p.oracle_layout as u8;
        self.oracle_owner = p.oracle_owner;
        self.feed_id = p.feed_id;
        self.max_oracle_age_open_s = p.max_oracle_age_open_s;
        self.max_oracle_age_liquidate_s = p.max_oracle_age_liquidate_s;
        self.max_conf_ratio_open = p.max_conf_ratio_open;
        self.max_conf_ratio_liquidate = p.max_conf_ratio_liquidate;
        self.tiers = [MarginTierConfig::default(); MAX_TIERS];
        for (slot, t) in self.tiers.iter_mut().zip(&p.tiers) {
            *slot = MarginTierConfig {
                notional_upper: t.notional_upper,
                initial_ratio: t.initial_ratio,
                maintenance_ratio: t.maintenance_ratio,
            };
        }
        self.tier_count = p.tiers.len() as u8;
        self.liquidation_buffer_ratio = p.liquidation_buffer_ratio;
        self.liquidator_fee_ratio = p.liquidator_fee_ratio;
        self.insurance_fee_ratio = p.insurance_fee_ratio;
        self.max_liquidation_notional = p.max_liquidation_notional;
        self.min_remainder_notional = p.min_remainder_notional;
        self.base_impact_ratio = p.base_impact_ratio;
        self.impact_ratio_per_million = p.impact_ratio_per_million;
        self.max_impact_ratio = p.max_impact_ratio;
        self.max_open_interest_base = p.max_open_interest_base;
        self.ewma_lambda = p.ewma_lambda;
        self.vol_multiplier = p.vol_multiplier;
        self.vol_addon_cap = p.vol_addon_cap;
    }
}

#[cfg(not(target_os = "solana"))]
impl MarketParams {
    /// The parameters the tests and the demo create markets with (README lists them with units):
    /// 10%/5% margin up to $100k notional, 20%/10% to $1M, 33%/20% above; 1% liquidation-end
    /// buffer; 0.5% liquidator + 0.25% insurance fee; $250k slices; 0.05% impact + 0.1% per $1M,
    /// capped at 0.5%; oracle ≤ 30 s and ≤ 1% confidence to add risk, ≤ 120 s and ≤ 2% to liquidate;
    /// EWMA λ 0.94, add-on 2 × volatility capped at 10%.
    pub fn example(oracle_owner: Pubkey, feed_id: [u8; 32]) -> Self {
        MarketParams {
            oracle_layout: OracleLayout::PriceUpdateV2,
            oracle_owner,
            feed_id,
            max_oracle_age_open_s: 30,
            max_oracle_age_liquidate_s: 120,
            max_conf_ratio_open: 10_000,
            max_conf_ratio_liquidate: 20_000,
            tiers: vec![
                TierParams { notional_upper: 100_000_000_000, initial_ratio: 100_000, maintenance_ratio: 50_000 },
                TierParams { notional_upper: 1_000_000_000_000, initial_ratio: 200_000, maintenance_ratio: 100_000 },
                TierParams { notional_upper: 0, initial_ratio: 330_000, maintenance_ratio: 200_000 },
            ],
            liquidation_buffer_ratio: 10_000,
            liquidator_fee_ratio: 5_000,
            insurance_fee_ratio: 2_500,
            max_liquidation_notional: 250_000_000_000,
            min_remainder_notional: 50_000_000,
            base_impact_ratio: 500,
            impact_ratio_per_million: 1_000,
            max_impact_ratio: 5_000,
            max_open_interest_base: 1_000_000_000_000_000,
            ewma_lambda: 999_000,
            vol_multiplier: 15_000_000,
            vol_addon_cap: 100_000,
        }
    }
}

const _: () = assert!(std::mem::size_of::<MarginTierConfig>() == 16);
const _: () = assert!(std::mem::size_of::<Market>() == Market::SIZE);
