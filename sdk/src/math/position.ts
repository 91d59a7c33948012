// Mirror of programs/margin/src/math/position.rs.
import { abs, divCeil, divFloor, mulDivCeil } from "./checked.js";
import { BASE_TO_QUOTE } from "./constants.js";

/** Signed value of `base` at `price`, quote native units, rounded down. */
export const baseValue = (base: bigint, price: bigint) => divFloor(base * price, BASE_TO_QUOTE);
/** |base| × price, quote native units, rounded up: what requirements are taken on. */
export const notional = (base: bigint, price: bigint) => mulDivCeil(abs(base), price, BASE_TO_QUOTE);
/** Unrealized PnL of a position at `price`: its value plus its quote entry (what was paid, negative for a long). */
export const unrealizedPnl = (base: bigint, quoteEntry: bigint, price: bigint) => baseValue(base, price) + quoteEntry;
/** Quote paid (negative) or received for a trade of `tradeBase` at `execPrice`, rounded against the trader. */
export const tradeQuote = (tradeBase: bigint, execPrice: bigint) => -divCeil(tradeBase * execPrice, BASE_TO_QUOTE);

/** A position after a trade, and the PnL the trade realized. */
export interface TradeResult {
  base: bigint;
  quoteEntry: bigint;
  realizedPnl: bigint;
}

/**
 * A trade of `tradeBase` at `execPrice` applied to a position: increasing adds to the quote
 * entry; reducing releases its share of the quote entry and realizes the difference; flipping
 * closes, then opens the rest.
 */
export function applyTrade(base: bigint, quoteEntry: bigint, tradeBase: bigint, execPrice: bigint): TradeResult {
  const reducing = base !== 0n && tradeBase !== 0n && base > 0n !== tradeBase > 0n;
  if (!reducing) {
    return { base: base + tradeBase, quoteEntry: quoteEntry + tradeQuote(tradeBase, execPrice), realizedPnl: 0n };
  }
  const closing = abs(tradeBase) > abs(base) ? -base : tradeBase;
  const released = divFloor(quoteEntry * abs(closing), abs(base));
  const realizedPnl = tradeQuote(closing, execPrice) + released;
  const afterClose = { base: base + closing, quoteEntry: quoteEntry - released, realizedPnl };
  const opening = tradeBase - closing;
  if (opening === 0n) return afterClose;
  return { base: opening, quoteEntry: afterClose.quoteEntry + tradeQuote(opening, execPrice), realizedPnl };
}
