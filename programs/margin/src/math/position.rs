//! A perpetual position: `base` (BASE_PRECISION, signed) and `quote_entry`, the signed quote
//! amount its opening trades moved (negative for a long). PnL = value of base + quote_entry.

use super::checked::{add, div_ceil, div_floor, mul, mul_div_ceil, sub, MathResult};
use super::constants::BASE_TO_QUOTE;

/// Value of `base` at `price`, quote native units, rounded down (against the holder).
pub fn base_value(base: i128, price: i128) -> MathResult<i128> {
    div_floor(mul(base, price)?, BASE_TO_QUOTE)
}

/// Notional `|base| * price`, quote native units, rounded up (requirements grow with it).
pub fn notional(base: i128, price: i128) -> MathResult<i128> {
    mul_div_ceil(base.abs(), price, BASE_TO_QUOTE)
}

/// Unrealized PnL at `price`.
pub fn unrealized_pnl(base: i128, quote_entry: i128, price: i128) -> MathResult<i128> {
    add(base_value(base, price)?, quote_entry)
}

/// The quote amount a trade of `trade_base` at `exec_price` moves for the trader: buys pay
/// (negative), sells receive (positive), both rounded against the trader.
pub fn trade_quote(trade_base: i128, exec_price: i128) -> MathResult<i128> {
    Ok(-div_ceil(mul(trade_base, exec_price)?, BASE_TO_QUOTE)?)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TradeResult {
    pub base: i128,
    pub quote_entry: i128,
    /// PnL realized by the reducing part of the trade (moves between collateral and the pool).
    pub realized_pnl: i128,
}

/// Applies a trade to a position. The reducing part releases the matching share of
/// `quote_entry` (rounded down) and realizes PnL; the rest opens at the execution price.
pub fn apply_trade(base: i128, quote_entry: i128, trade_base: i128, exec_price: i128) -> MathResult<TradeResult> {
    let reducing = base != 0 && trade_base != 0 && (base > 0) != (trade_base > 0);
    if !reducing {
        return Ok(TradeResult {
            base: add(base, trade_base)?,
            quote_entry: add(quote_entry, trade_quote(trade_base, exec_price)?)?,
            realized_pnl: 0,
        });
    }
    let closing = if trade_base.abs() > base.abs() { -base } else { trade_base };
    let released = div_floor(mul(quote_entry, closing.abs())?, base.abs())?;
    let realized_pnl = add(trade_quote(closing, exec_price)?, released)?;
    let after_close = TradeResult { base: add(base, closing)?, quote_entry: sub(quote_entry, released)?, realized_pnl };
    let opening = sub(trade_base, closing)?;
    if opening == 0 {
        return Ok(after_close);
    }
    Ok(TradeResult {
        base: opening,
        quote_entry: add(after_close.quote_entry, trade_quote(opening, exec_price)?)?,
        realized_pnl,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: i128 = 1_000_000_000; // 1 base unit
    const USD: i128 = 1_000_000;

    #[test]
    fn values_round_down_and_notionals_round_up() {
        // 1.5 SOL at $33.333333: 49.9999995 → value 49.999999, notional 50.000000.
        assert_eq!(base_value(3 * ONE / 2, 33_333_333), Ok(49_999_999));
        assert_eq!(notional(3 * ONE / 2, 33_333_333), Ok(50_000_000));
        // A short's value is negative and rounds further down.
        assert_eq!(base_value(-3 * ONE / 2, 33_333_333), Ok(-50_000_000));
        assert_eq!(notional(-3 * ONE / 2, 33_333_333), Ok(50_000_000));
    }

    #[test]
    fn a_long_opened_and_closed_realizes_the_price_move() {
        let open = apply_trade(0, 0, 2 * ONE, 100 * USD).unwrap();
        assert_eq!((open.base, open.quote_entry, open.realized_pnl), (2 * ONE, -200 * USD, 0));
        assert_eq!(unrealized_pnl(open.base, open.quote_entry, 110 * USD), Ok(20 * USD));
        // Sell half at 110: releases -100 of entry, receives 110 → +10 realized.
        let half = apply_trade(open.base, open.quote_entry, -ONE, 110 * USD).unwrap();
        assert_eq!((half.base, half.quote_entry, half.realized_pnl), (ONE, -100 * USD, 10 * USD));
    }

    #[test]
    fn a_flip_closes_then_opens_the_other_side() {
        // Long 1 @100, sell 3 @90: close 1 (−10 realized), open short 2 @90 (+180 entry).
        let flip = apply_trade(ONE, -100 * USD, -3 * ONE, 90 * USD).unwrap();
        assert_eq!((flip.base, flip.quote_entry, flip.realized_pnl), (-2 * ONE, 180 * USD, -10 * USD));
    }

    #[test]
    fn released_entry_rounds_against_the_holder() {
        // Long 3 base for 100 (entry −100 native... per unit 33.33): closing 1 releases floor(−100/3) = −34.
        let r = apply_trade(3, -100, -1, 0).unwrap();
        assert_eq!(r.quote_entry, -66);
        assert_eq!(r.realized_pnl, -34);
    }
}
