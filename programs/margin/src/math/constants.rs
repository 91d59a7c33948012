/// Quote amounts (collateral, notional, PnL, fees) are in quote native units: 1e6 per USDC.
pub const QUOTE_PRECISION: i128 = 1_000_000;
/// Prices are quote units per one base unit, scaled by 1e6.
pub const PRICE_PRECISION: i128 = 1_000_000;
/// Position sizes are base units scaled by 1e9.
pub const BASE_PRECISION: i128 = 1_000_000_000;
/// Ratios (margin, fees, impact, volatility) scaled by 1e6: 1_000_000 = 100%.
pub const RATIO_PRECISION: i128 = 1_000_000;
/// EWMA variance of oracle returns, in RATIO_PRECISION².
pub const VARIANCE_PRECISION: i128 = RATIO_PRECISION * RATIO_PRECISION;

/// `base * price / BASE_TO_QUOTE` is a quote amount in native units.
pub const BASE_TO_QUOTE: i128 = BASE_PRECISION * PRICE_PRECISION / QUOTE_PRECISION;
