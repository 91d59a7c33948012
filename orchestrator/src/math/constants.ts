// Mirror of programs/margin/src/math/constants.rs.
export const QUOTE_PRECISION = 1_000_000n;
export const PRICE_PRECISION = 1_000_000n;
export const BASE_PRECISION = 1_000_000_000n;
export const RATIO_PRECISION = 1_000_000n;
export const VARIANCE_PRECISION = RATIO_PRECISION * RATIO_PRECISION;
export const BASE_TO_QUOTE = (BASE_PRECISION * PRICE_PRECISION) / QUOTE_PRECISION;
