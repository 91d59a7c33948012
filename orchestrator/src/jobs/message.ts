// A v0 transaction message without address tables, serialized directly: web3.js's
// compileToV0Message converts every key to base58 several times over, a measurable share of a
// step's CPU. Keys are ordered as web3.js orders them (payer, then writable signers, readonly
// signers, writable and readonly non-signers, each in first-use order), so the bytes are the same;
// a test pins that.
import type { PublicKey, TransactionInstruction } from "@solana/web3.js";
import bs58 from "bs58";

const bytesOf = new WeakMap<PublicKey, Buffer>();
function bytes(k: PublicKey): Buffer {
  let b = bytesOf.get(k);
  if (!b) bytesOf.set(k, (b = k.toBuffer()));
  return b;
}

function compactU16(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const low = n & 0x7f;
    n >>= 7;
    if (n === 0) return (out.push(low), out);
    out.push(low | 0x80);
  }
}

interface KeyMeta {
  key: Buffer;
  signer: boolean;
  writable: boolean;
}

export function compileV0Message(
  payer: PublicKey,
  recentBlockhash: string,
  instructions: TransactionInstruction[],
): Buffer {
  const metas = new Map<string, KeyMeta>();
  const note = (k: PublicKey, signer: boolean, writable: boolean) => {
    const b = bytes(k);
    const id = b.toString("latin1");
    const m = metas.get(id);
    if (m) {
      m.signer ||= signer;
      m.writable ||= writable;
    } else metas.set(id, { key: b, signer, writable });
  };
  note(payer, true, true);
  for (const ix of instructions) {
    note(ix.programId, false, false);
    for (const k of ix.keys) note(k.pubkey, k.isSigner, k.isWritable);
  }
  const all = [...metas.values()];
  const [payerMeta, ...rest] = all;
  const group = (signer: boolean, writable: boolean) =>
    rest.filter((m) => m.signer === signer && m.writable === writable);
  const writableSigners = [payerMeta, ...group(true, true)];
  const readonlySigners = group(true, false);
  const writableNonSigners = group(false, true);
  const readonlyNonSigners = group(false, false);
  const ordered = [...writableSigners, ...readonlySigners, ...writableNonSigners, ...readonlyNonSigners];
  if (ordered.length > 256) throw new Error("too many accounts for one transaction");
  const index = new Map(ordered.map((m, i) => [m.key.toString("latin1"), i]));
  const indexOf = (k: PublicKey) => index.get(bytes(k).toString("latin1"))!;

  const parts: (Buffer | number[])[] = [
    [0x80, writableSigners.length + readonlySigners.length, readonlySigners.length, readonlyNonSigners.length],
    compactU16(ordered.length),
    ...ordered.map((m) => m.key),
    Buffer.from(bs58.decode(recentBlockhash)),
    compactU16(instructions.length),
  ];
  for (const ix of instructions) {
    parts.push(
      [indexOf(ix.programId)],
      compactU16(ix.keys.length),
      ix.keys.map((k) => indexOf(k.pubkey)),
      compactU16(ix.data.length),
      ix.data,
    );
  }
  parts.push(compactU16(0));
  return Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p))));
}

const compactLength = (n: number) => (n < 0x80 ? 1 : n < 0x4000 ? 2 : 3);
const idOf = (k: PublicKey) => bytes(k).toString("latin1");
const instructionLength = (ix: TransactionInstruction) =>
  1 + compactLength(ix.keys.length) + ix.keys.length + compactLength(ix.data.length) + ix.data.length;

/**
 * The length compileV0Message's bytes would have, grown one instruction at a time without
 * serializing anything: packing steps into a transaction asks it once per candidate.
 */
export class MessageSize {
  private readonly keys = new Set<string>();
  private body = 0;
  private count = 0;

  constructor(payer: PublicKey, instructions: TransactionInstruction[] = []) {
    this.keys.add(idOf(payer));
    for (const ix of instructions) this.add(ix);
  }

  /** Bytes of the message so far. */
  get bytes(): number {
    return this.length(this.keys.size, this.body, this.count);
  }

  /** Bytes of the message with `ix` appended; the message is unchanged. */
  with(ix: TransactionInstruction): number {
    const fresh = new Set<string>();
    for (const k of [ix.programId, ...ix.keys.map((m) => m.pubkey)]) {
      const id = idOf(k);
      if (!this.keys.has(id)) fresh.add(id);
    }
    return this.length(this.keys.size + fresh.size, this.body + instructionLength(ix), this.count + 1);
  }

  add(ix: TransactionInstruction): void {
    this.keys.add(idOf(ix.programId));
    for (const m of ix.keys) this.keys.add(idOf(m.pubkey));
    this.body += instructionLength(ix);
    this.count++;
  }

  /** Version and header, keys, blockhash, instructions, and an empty address-table list. */
  private length(keys: number, body: number, count: number): number {
    return 1 + 3 + compactLength(keys) + 32 * keys + 32 + compactLength(count) + body + 1;
  }
}
