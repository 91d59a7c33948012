// Borsh as Anchor writes it, driven by the IDL: accounts (zero-copy ones included: their #[repr(C)]
// layouts carry explicit padding, so they read sequentially), events and instruction arguments.
// Integers of ≤ 32 bits are numbers, wider ones bigints; keys are base58 strings; byte arrays are
// Uint8Arrays; an enum of unit variants is its variant's name.
import { decodeAddress, encodeAddress } from "../address.js";
import { type IdlType, typeDef } from "./idl.js";

/** Data that does not decode as the IDL describes (too short, a bad enum tag). */
export class CodecError extends Error {}

const INT: Record<string, { size: number; signed: boolean }> = {
  u8: { size: 1, signed: false },
  i8: { size: 1, signed: true },
  u16: { size: 2, signed: false },
  i16: { size: 2, signed: true },
  u32: { size: 4, signed: false },
  i32: { size: 4, signed: true },
  u64: { size: 8, signed: false },
  i64: { size: 8, signed: true },
  u128: { size: 16, signed: false },
  i128: { size: 16, signed: true },
};

/** A cursor over bytes. */
export class Reader {
  private readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    public offset = 0,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private take(n: number): number {
    if (this.offset + n > this.bytes.length) throw new CodecError(`data too short: need ${this.offset + n} bytes`);
    const at = this.offset;
    this.offset += n;
    return at;
  }

  /** One integer of IDL kind `kind` (`u8` … `i128`), little-endian. */
  int(kind: string): number | bigint {
    const { size, signed } = INT[kind];
    const at = this.take(size);
    const v = this.view;
    switch (size) {
      case 1:
        return signed ? v.getInt8(at) : v.getUint8(at);
      case 2:
        return signed ? v.getInt16(at, true) : v.getUint16(at, true);
      case 4:
        return signed ? v.getInt32(at, true) : v.getUint32(at, true);
      case 8:
        return signed ? v.getBigInt64(at, true) : v.getBigUint64(at, true);
      default: {
        const lo = v.getBigUint64(at, true);
        const hi = signed ? v.getBigInt64(at + 8, true) : v.getBigUint64(at + 8, true);
        return (hi << 64n) | lo;
      }
    }
  }

  /** The next `n` bytes, copied. */
  raw(n: number): Uint8Array {
    const at = this.take(n);
    return new Uint8Array(this.bytes.subarray(at, at + n));
  }

  /** One value of IDL type `t`. */
  read(t: IdlType): unknown {
    return readType(t, this);
  }
}

/** A growing byte buffer. */
export class Writer {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private room(n: number): number {
    if (this.length + n > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
      next.set(this.buf);
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    const at = this.length;
    this.length += n;
    return at;
  }

  /** One integer of IDL kind `kind`, little-endian; a `CodecError` when it does not fit. */
  int(kind: string, value: number | bigint): void {
    const { size, signed } = INT[kind];
    const at = this.room(size);
    const v = this.view;
    if (size <= 4) {
      const n = Number(value);
      const lo = signed ? -(2 ** (8 * size - 1)) : 0;
      const hi = signed ? 2 ** (8 * size - 1) - 1 : 2 ** (8 * size) - 1;
      if (!Number.isInteger(n) || n < lo || n > hi) throw new CodecError(`${value} does not fit ${kind}`);
      if (size === 1) v.setUint8(at, n & 0xff);
      else if (size === 2) v.setUint16(at, n & 0xffff, true);
      else v.setUint32(at, n >>> 0, true);
      return;
    }
    const b = BigInt(value);
    const bits = BigInt(8 * size);
    const lo = signed ? -(1n << (bits - 1n)) : 0n;
    const hi = signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
    if (b < lo || b > hi) throw new CodecError(`${value} does not fit ${kind}`);
    const u = BigInt.asUintN(Number(bits), b);
    v.setBigUint64(at, BigInt.asUintN(64, u), true);
    if (size === 16) v.setBigUint64(at + 8, u >> 64n, true);
  }

  /** `bytes` as they are. */
  raw(bytes: Uint8Array): void {
    const at = this.room(bytes.length);
    this.buf.set(bytes, at);
  }

  /** What was written. */
  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

const isU8 = (t: IdlType) => t === "u8";

/** Reads one value of IDL type `t`. */
export function readType(t: IdlType, r: Reader): unknown {
  if (typeof t === "string") {
    if (t === "bool") return r.int("u8") !== 0;
    if (t === "pubkey") return encodeAddress(r.raw(32));
    if (t in INT) return r.int(t);
    throw new CodecError(`unsupported IDL type ${t}`);
  }
  if ("array" in t) {
    const [e, n] = t.array;
    if (isU8(e)) return r.raw(n);
    return Array.from({ length: n }, () => readType(e, r));
  }
  if ("vec" in t) {
    const n = r.int("u32") as number;
    if (isU8(t.vec)) return r.raw(n);
    return Array.from({ length: n }, () => readType(t.vec, r));
  }
  if ("option" in t) return r.int("u8") === 0 ? null : readType(t.option, r);
  const def = typeDef(t.defined.name);
  if (def.type.kind === "struct") {
    const out: Record<string, unknown> = {};
    for (const f of def.type.fields) out[f.name] = readType(f.type, r);
    return out;
  }
  const tag = r.int("u8") as number;
  const variant = def.type.variants[tag];
  if (!variant) throw new CodecError(`${def.name}: unknown variant ${tag}`);
  return variant.name;
}

/** Writes one value of IDL type `t`. */
export function writeType(t: IdlType, value: unknown, w: Writer): void {
  if (typeof t === "string") {
    if (t === "bool") w.int("u8", value ? 1 : 0);
    else if (t === "pubkey") w.raw(decodeAddress(value as string));
    else if (t in INT) w.int(t, value as number | bigint);
    else throw new CodecError(`unsupported IDL type ${t}`);
  } else if ("array" in t) {
    const [e, n] = t.array;
    const items = [...(value as Iterable<unknown>)];
    if (items.length !== n) throw new CodecError(`expected ${n} items, got ${items.length}`);
    for (const item of items) writeType(e, item, w);
  } else if ("vec" in t) {
    const items = [...(value as Iterable<unknown>)];
    w.int("u32", items.length);
    for (const item of items) writeType(t.vec, item, w);
  } else if ("option" in t) {
    const some = value !== null && value !== undefined;
    w.int("u8", some ? 1 : 0);
    if (some) writeType(t.option, value, w);
  } else {
    const def = typeDef(t.defined.name);
    if (def.type.kind === "struct") {
      const obj = value as Record<string, unknown>;
      for (const f of def.type.fields) {
        if (!(f.name in obj)) throw new CodecError(`${def.name}: missing field ${f.name}`);
        writeType(f.type, obj[f.name], w);
      }
    } else {
      const tag = def.type.variants.findIndex((v) => v.name === value);
      if (tag < 0) throw new CodecError(`${def.name}: unknown variant ${String(value)}`);
      w.int("u8", tag);
    }
  }
}

/** Bytes one value of `t` takes, for fixed-size types (no vec, no option); null otherwise. */
export function fixedSize(t: IdlType): number | null {
  if (typeof t === "string") return t === "bool" ? 1 : t === "pubkey" ? 32 : (INT[t]?.size ?? null);
  if ("array" in t) {
    const e = fixedSize(t.array[0]);
    return e === null ? null : e * t.array[1];
  }
  if ("vec" in t || "option" in t) return null;
  const def = typeDef(t.defined.name);
  if (def.type.kind === "enum") return 1;
  let size = 0;
  for (const f of def.type.fields) {
    const s = fixedSize(f.type);
    if (s === null) return null;
    size += s;
  }
  return size;
}

/** Byte offset of each field of the fixed-size struct `name`, from the start of the struct. */
export function fieldOffsets(name: string): Record<string, number> {
  const def = typeDef(name);
  if (def.type.kind !== "struct") throw new CodecError(`${name} is not a struct`);
  const out: Record<string, number> = {};
  let at = 0;
  for (const f of def.type.fields) {
    out[f.name] = at;
    const s = fixedSize(f.type);
    if (s === null) throw new CodecError(`${name}.${f.name} has no fixed size`);
    at += s;
  }
  return out;
}
