//! What a market's pool owes: each side's aggregate gain (the pool is the counterparty of every
//! position). Liquidity may leave the pool only above that. Longs and shorts are counted apart, so
//! one side's losses never offset the other side's gains.

use crate::math::checked::{add, div_ceil, div_floor, mul, sub, MathResult};
use crate::math::constants::BASE_TO_QUOTE;
use crate::math::margin::ratio_of;

/// Σ max(0, each side's aggregate PnL) at `price` moved by `conf_ratio` against the pool (up for
/// the longs, down for the shorts), values rounded up.
pub fn pool_liability(
    long_open_interest: i128,
    short_open_interest: i128,
    quote_entry_long: i128,
    quote_entry_short: i128,
    price: i128,
    conf_ratio: i128,
) -> MathResult<i128> {
    let conf = ratio_of(price, conf_ratio)?;
    let longs = add(div_ceil(mul(long_open_interest, add(price, conf)?)?, BASE_TO_QUOTE)?, quote_entry_long)?;
    let low = sub(price, conf)?.max(0);
    // A short's value is −base × price: rounded up against the pool means rounding the cost down.
    let shorts = sub(quote_entry_short, div_floor(mul(short_open_interest, low)?, BASE_TO_QUOTE)?)?;
    add(longs.max(0), shorts.max(0))
}

/// The capital a pool must hold beyond what it owes for its traders' net position (`skew`, base
/// units, either side) at `price`: the net side's gain from a move as large as the market's smallest
/// initial ratio (`stress_ratio`), the move that takes a fully leveraged counterparty's margin.
pub fn skew_capital(skew: i128, price: i128, stress_ratio: i128) -> MathResult<i128> {
    ratio_of(div_ceil(mul(skew.abs(), price)?, BASE_TO_QUOTE)?, stress_ratio)
}

/// Whether a pool holding `free` (its balance beyond unpaid claims) and owing `liability` (each
/// side's aggregate gain) backs a net position of `skew` at `price`.
pub fn skew_backed(free: i128, liability: i128, skew: i128, price: i128, stress_ratio: i128) -> MathResult<bool> {
    Ok(sub(free, liability)? >= skew_capital(skew, price, stress_ratio)?)
}

/// Whether `amount` may leave a pool of `pool_balance`: an accepted price to value the open
/// positions at (unless there are none), and the pool still covers the traders' unpaid `claims`,
/// each side's aggregate gain and the capital the net position needs (`skew_capital` at
/// `stress_ratio`) afterwards.
#[allow(clippy::too_many_arguments)]
pub fn removal_allowed(
    pool_balance: i128,
    amount: i128,
    claims: i128,
    open_interest: (i128, i128),
    quote_entries: (i128, i128),
    last_price: i128,
    conf_ratio: i128,
    stress_ratio: i128,
) -> MathResult<bool> {
    let after = sub(sub(pool_balance, amount)?, claims)?;
    if after < 0 {
        return Ok(false);
    }
    let (long, short) = open_interest;
    if long == 0 && short == 0 {
        return Ok(true);
    }
    if last_price <= 0 {
        return Ok(false);
    }
    let liability = pool_liability(long, short, quote_entries.0, quote_entries.1, last_price, conf_ratio)?;
    skew_backed(after, liability, sub(long, short)?, last_price, stress_ratio)
}

#[cfg(test)]
mod tests {
    use super::*;

    const USD: i128 = 1_000_000;
    const ONE: i128 = 1_000_000_000;

    #[test]
    fn the_pool_owes_each_sides_gain_against_itself() {
        // Longs: 10 SOL bought at $100 (Σ quote entry −$1,000), price $110 + 1%: up $111.
        assert_eq!(pool_liability(10 * ONE, 0, -1_000 * USD, 0, 110 * USD, 10_000).unwrap(), 111 * USD);
        // Shorts: 10 sold at $100 (Σ +$1,000) at $90 − 1%: up 1,000 − 891 = $109.
        assert_eq!(pool_liability(0, 10 * ONE, 0, 1_000 * USD, 90 * USD, 10_000).unwrap(), 109 * USD);
        // Losing longs owe the pool, not the other way round.
        assert_eq!(pool_liability(10 * ONE, 0, -1_000 * USD, 0, 90 * USD, 10_000).unwrap(), 0);
        // A long and a short of the same size: the winning side counts, the losing side does not offset it.
        assert_eq!(pool_liability(10 * ONE, 10 * ONE, -1_000 * USD, 1_000 * USD, 110 * USD, 0).unwrap(), 100 * USD);
    }

    #[test]
    fn liquidity_leaves_only_above_what_the_pool_owes() {
        let oi = (10 * ONE, 0);
        let qe = (-1_000 * USD, 0);
        assert!(removal_allowed(1_000 * USD, 889 * USD, 0, oi, qe, 110 * USD, 10_000, 0).unwrap());
        assert!(!removal_allowed(1_000 * USD, 889 * USD + 1, 0, oi, qe, 110 * USD, 10_000, 0).unwrap());
        assert!(!removal_allowed(1_000 * USD, USD, 0, oi, qe, 0, 10_000, 0).unwrap(), "no accepted price");
        assert!(removal_allowed(1_000 * USD, 1_000 * USD, 0, (0, 0), (0, 0), 0, 10_000, 0).unwrap());
        assert!(!removal_allowed(1_000 * USD, 1_001 * USD, 0, (0, 0), (0, 0), 0, 10_000, 0).unwrap());
        // Unpaid claims stay too.
        assert!(!removal_allowed(1_000 * USD, 1_000 * USD, 1, (0, 0), (0, 0), 0, 10_000, 0).unwrap());
        assert!(removal_allowed(1_000 * USD, 800 * USD, 200 * USD, (0, 0), (0, 0), 0, 10_000, 0).unwrap());
    }

    #[test]
    fn a_pool_keeps_capital_for_its_traders_net_position() {
        // Net long 10 SOL at $100 ($1,000), a 10% stress: $100 beyond what it owes.
        assert_eq!(skew_capital(10 * ONE, 100 * USD, 100_000).unwrap(), 100 * USD);
        assert_eq!(skew_capital(-10 * ONE, 100 * USD, 100_000).unwrap(), 100 * USD);
        assert!(skew_backed(150 * USD, 50 * USD, 10 * ONE, 100 * USD, 100_000).unwrap());
        assert!(!skew_backed(150 * USD - 1, 50 * USD, 10 * ONE, 100 * USD, 100_000).unwrap());
        // Removal keeps it too: longs 10 from $100 at $100 owe nothing; $100 must stay.
        let (oi, qe) = ((10 * ONE, 0), (-1_000 * USD, 0));
        assert!(removal_allowed(1_000 * USD, 900 * USD, 0, oi, qe, 100 * USD, 0, 100_000).unwrap());
        assert!(!removal_allowed(1_000 * USD, 900 * USD + 1, 0, oi, qe, 100 * USD, 0, 100_000).unwrap());
    }
}
