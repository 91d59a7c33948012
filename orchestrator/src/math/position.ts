// Mirror of programs/margin/src/math/position.rs.
import { abs, divCeil, divFloor, mulDivCeil } from "./checked.js";
import { BASE_TO_QUOTE } from "./constants.js";

export const baseValue = (base: bigint, price: bigint) => divFloor(base * price, BASE_TO_QUOTE);
export const notional = (base: bigint, price: bigint) => mulDivCeil(abs(base), price, BASE_TO_QUOTE);
export const unrealizedPnl = (base: bigint, quoteEntry: bigint, price: bigint) => baseValue(base, price) + quoteEntry;
export const tradeQuote = (tradeBase: bigint, execPrice: bigint) => -divCeil(tradeBase * execPrice, BASE_TO_QUOTE);

export interface TradeResult {
  base: bigint;
  quoteEntry: bigint;
  realizedPnl: bigint;
}

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
