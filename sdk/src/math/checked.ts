// Mirror of programs/margin/src/math/checked.rs. bigint never overflows; the program's i128
// bounds are enforced where the program would fail, so both sides agree on every input.

/** What the program reports as `MathOverflow`: an i128 bound crossed, a division by zero, a negative root. */
export class MathError extends Error {}

const I128_MAX = (1n << 127n) - 1n;
const I128_MIN = -(1n << 127n);

/** `v`, or a `MathError` where the program's i128 arithmetic would overflow. */
export function checked(v: bigint): bigint {
  if (v > I128_MAX || v < I128_MIN) throw new MathError("overflow");
  return v;
}

/** a / b rounded toward −∞. */
export function divFloor(a: bigint, b: bigint): bigint {
  if (b === 0n) throw new MathError("division by zero");
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** a / b rounded toward +∞. */
export function divCeil(a: bigint, b: bigint): bigint {
  if (b === 0n) throw new MathError("division by zero");
  const q = a / b;
  return a % b !== 0n && a < 0n === b < 0n ? q + 1n : q;
}

/** a · b / c rounded toward −∞, the product checked against i128. */
export const mulDivFloor = (a: bigint, b: bigint, c: bigint) => divFloor(checked(a * b), c);
/** a · b / c rounded toward +∞, the product checked against i128. */
export const mulDivCeil = (a: bigint, b: bigint, c: bigint) => divCeil(checked(a * b), c);

/** The smallest r ≥ 0 with r² ≥ n. */
export function sqrtCeil(n: bigint): bigint {
  if (n < 0n) throw new MathError("negative");
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 2));
  for (;;) {
    const y = (x + n / x) / 2n;
    if (y >= x) break;
    x = y;
  }
  let r = x;
  while (r * r < n) r += 1n;
  while (r > 0n && (r - 1n) * (r - 1n) >= n) r -= 1n;
  return r;
}

/** |v|. */
export const abs = (v: bigint) => (v < 0n ? -v : v);
/** The smaller of a and b. */
export const min = (a: bigint, b: bigint) => (a < b ? a : b);
/** The larger of a and b. */
export const max = (a: bigint, b: bigint) => (a > b ? a : b);
