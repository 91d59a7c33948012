//! What a market's pool owes: the traders' aggregate PnL (the pool is the counterparty of every
//! position). Liquidity may leave the pool only above that.

use crate::math::checked::{add, div_ceil, mul, sub, MathResult};
use crate::math::constants::BASE_TO_QUOTE;
use crate::math::margin::ratio_of;

/// The traders' aggregate PnL at `price` moved by `conf_ratio` against the pool (up when traders
/// are net long, down when net short), rounded up; 0 when traders as a group are losing.
pub fn pool_liability(long_open_interest: i128, short_open_interest: i128, quote_entry_sum: i128, price: i128, conf_ratio: i128) -> MathResult<i128> {
    let net = sub(long_open_interest, short_open_interest)?;
    let conf = ratio_of(price, conf_ratio)?;
    let against_pool = if net >= 0 { add(price, conf)? } else { sub(price, conf)?.max(0) };
    // Σ base × price + Σ quote_entry; the value is rounded up (against the pool).
    let value = div_ceil(mul(net, against_pool)?, BASE_TO_QUOTE)?;
    Ok(add(value, quote_entry_sum)?.max(0))
}

/// Whether `amount` may leave a pool of `pool_balance`: an accepted price to value the open
/// positions at (unless there are none), and the pool still covers the traders' aggregate PnL
/// afterwards.
pub fn removal_allowed(pool_balance: i128, amount: i128, open_interest: (i128, i128), quote_entry_sum: i128, last_price: i128, conf_ratio: i128) -> MathResult<bool> {
    let after = sub(pool_balance, amount)?;
    if after < 0 {
        return Ok(false);
    }
    let (long, short) = open_interest;
    if long == 0 && short == 0 {
        return Ok(quote_entry_sum <= after);
    }
    if last_price <= 0 {
        return Ok(false);
    }
    Ok(after >= pool_liability(long, short, quote_entry_sum, last_price, conf_ratio)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const USD: i128 = 1_000_000;
    const ONE: i128 = 1_000_000_000;

    #[test]
    fn the_pool_owes_the_traders_aggregate_gain_against_itself() {
        // Traders net long 10 SOL bought at $100 (Σ quote_entry −$1,000), price $110 + 1%: they are
        // up 10 × 111.1 − 1,000 = $111.
        assert_eq!(pool_liability(10 * ONE, 0, -1_000 * USD, 110 * USD, 10_000).unwrap(), 111 * USD);
        // Net short 10 from $100 at $90 ± 1%: 1,000 − 10 × 89.1 = $109.
        assert_eq!(pool_liability(0, 10 * ONE, 1_000 * USD, 90 * USD, 10_000).unwrap(), 109 * USD);
        // Losing traders owe the pool, not the other way round.
        assert_eq!(pool_liability(10 * ONE, 0, -1_000 * USD, 90 * USD, 10_000).unwrap(), 0);
    }

    #[test]
    fn liquidity_leaves_only_above_what_the_pool_owes() {
        let oi = (10 * ONE, 0);
        assert!(removal_allowed(1_000 * USD, 889 * USD, oi, -1_000 * USD, 110 * USD, 10_000).unwrap());
        assert!(!removal_allowed(1_000 * USD, 889 * USD + 1, oi, -1_000 * USD, 110 * USD, 10_000).unwrap());
        assert!(!removal_allowed(1_000 * USD, USD, oi, -1_000 * USD, 0, 10_000).unwrap(), "no accepted price");
        assert!(removal_allowed(1_000 * USD, 1_000 * USD, (0, 0), 0, 0, 10_000).unwrap());
        assert!(!removal_allowed(1_000 * USD, 1_001 * USD, (0, 0), 0, 0, 10_000).unwrap());
    }
}
