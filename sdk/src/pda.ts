// Program-derived addresses of the margin program, with the seeds its Accounts structs declare
// (and the IDL records). Derived synchronously, exactly as Solana does: sha256 of the seeds, the
// bump, the program id and "ProgramDerivedAddress", the first bump from 255 down off the curve.
import { ed25519 } from "@noble/curves/ed25519";
import { sha256 } from "@noble/hashes/sha2";
import { decodeAddress, encodeAddress } from "./address.js";
import { PROGRAM_ID } from "./idl/idl.js";
import type { Address } from "./state/types.js";

const MARKER = new TextEncoder().encode("ProgramDerivedAddress");
const text = (s: string) => new TextEncoder().encode(s);

function onCurve(bytes: Uint8Array): boolean {
  try {
    ed25519.ExtendedPoint.fromHex(bytes);
    return true;
  } catch {
    return false;
  }
}

/** `[address, bump]` of the program-derived address of `seeds` under `programId`. */
export function findProgramAddress(seeds: Uint8Array[], programId: Address = PROGRAM_ID): [Address, number] {
  const program = decodeAddress(programId);
  for (const s of seeds) if (s.length > 32) throw new Error("a seed is longer than 32 bytes");
  for (let bump = 255; bump >= 0; bump--) {
    const parts = [...seeds, Uint8Array.of(bump), program, MARKER];
    const input = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      input.set(p, at);
      at += p.length;
    }
    const hash = sha256(input);
    if (!onCurve(hash)) return [encodeAddress(hash), bump];
  }
  throw new Error("no viable bump seed");
}

const u16le = (n: number) => Uint8Array.of(n & 0xff, n >> 8);

/** The exchange of a quote mint: `["exchange", quote_mint]`. */
export const exchangeAddress = (quoteMint: Address, programId: Address = PROGRAM_ID): Address =>
  findProgramAddress([text("exchange"), decodeAddress(quoteMint)], programId)[0];

/** An exchange's quote-token vault: `["quote_vault", exchange]`. */
export const quoteVaultAddress = (exchange: Address, programId: Address = PROGRAM_ID): Address =>
  findProgramAddress([text("quote_vault"), decodeAddress(exchange)], programId)[0];

/** An exchange's insurance-fund vault: `["insurance_vault", exchange]`. */
export const insuranceVaultAddress = (exchange: Address, programId: Address = PROGRAM_ID): Address =>
  findProgramAddress([text("insurance_vault"), decodeAddress(exchange)], programId)[0];

/** The market at `index` of an exchange (indexes start at 0): `["market", exchange, index u16 LE]`. */
export const marketAddress = (exchange: Address, index: number, programId: Address = PROGRAM_ID): Address =>
  findProgramAddress([text("market"), decodeAddress(exchange), u16le(index)], programId)[0];

/** An owner's margin account on an exchange: `["margin", exchange, owner]`. */
export const marginAccountAddress = (exchange: Address, owner: Address, programId: Address = PROGRAM_ID): Address =>
  findProgramAddress([text("margin"), decodeAddress(exchange), decodeAddress(owner)], programId)[0];
