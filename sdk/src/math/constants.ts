// Mirror of programs/margin/src/math/constants.rs.

/** Quote native units per quote token (USDC: 6 decimals). */
export const QUOTE_PRECISION = 1_000_000n;
/** Price units per quote token per base token: prices are integers scaled by 1e6. */
export const PRICE_PRECISION = 1_000_000n;
/** Base units per base token: positions are integers scaled by 1e9. */
export const BASE_PRECISION = 1_000_000_000n;
/** Ratio units for 100%: margin ratios, fees and confidence ratios are scaled by 1e6. */
export const RATIO_PRECISION = 1_000_000n;
/** Units of the EWMA variance (RATIO_PRECISION²). */
export const VARIANCE_PRECISION = RATIO_PRECISION * RATIO_PRECISION;
/** base × price / BASE_TO_QUOTE = quote native units. */
export const BASE_TO_QUOTE = (BASE_PRECISION * PRICE_PRECISION) / QUOTE_PRECISION;
