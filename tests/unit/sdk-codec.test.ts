// The SDK's IDL-driven decoders and instruction builders read and write exactly what Anchor's
// coders do, for every account, event and instruction of the committed IDL; the error table is the
// IDL's.
import { type BorshCoder, Program } from "@coral-xyz/anchor";
import { Keypair, PublicKey } from "@solana/web3.js";
import BN from "bn.js";
import { describe, expect, it } from "vitest";
import {
  IDL,
  PROGRAM_ERRORS,
  PROGRAM_ID,
  RAW_IDL,
  Writer,
  accountDiscriminator,
  buildInstruction,
  decodeAccount,
  decodeEvent,
  errorCode,
  exchangeAddress,
  findProgramError,
  insuranceVaultAddress,
  marginAccountAddress,
  marketAddress,
  parseEvents,
  programError,
  quoteVaultAddress,
  typeDef,
  writeType,
  type IdlType,
  type InstructionName,
} from "@margin-warden/sdk";

// The Program camelCases the IDL, as the SDK does; no connection is used.
const anchor = new Program(RAW_IDL, {} as never).coder as BorshCoder;

function rng(seed: number) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

const INT_BITS: Record<string, [number, boolean]> = {
  u8: [8, false],
  i8: [8, true],
  u16: [16, false],
  i16: [16, true],
  u32: [32, false],
  i32: [32, true],
  u64: [64, false],
  i64: [64, true],
  u128: [128, false],
  i128: [128, true],
};

/** A random value of `t` in the SDK's representation and in Anchor's. */
function sample(t: IdlType, r: () => number): [unknown, unknown] {
  if (typeof t === "string") {
    if (t === "bool") {
      const b = r() < 0.5;
      return [b, b];
    }
    if (t === "pubkey") {
      const k = Keypair.generate().publicKey;
      return [k.toBase58(), k];
    }
    const [bits, signed] = INT_BITS[t];
    let v = 0n;
    for (let i = 0; i < bits; i += 16) v = (v << 16n) | BigInt(Math.floor(r() * 65_536));
    v = BigInt.asUintN(bits, v);
    if (signed) v = BigInt.asIntN(bits, v);
    return bits <= 32 ? [Number(v), Number(v)] : [v, new BN(v.toString())];
  }
  if ("array" in t || "vec" in t) {
    const [e, n] = "array" in t ? t.array : [t.vec, Math.floor(r() * 4)];
    const items = Array.from({ length: n }, () => sample(e, r));
    if (e === "u8") return [Uint8Array.from(items.map((x) => x[0] as number)), items.map((x) => x[1])];
    return [items.map((x) => x[0]), items.map((x) => x[1])];
  }
  if ("option" in t) return r() < 0.5 ? [null, null] : sample(t.option, r);
  const def = typeDef(t.defined.name);
  if (def.type.kind === "enum") {
    const v = def.type.variants[Math.floor(r() * def.type.variants.length)].name;
    return [v, { [v]: {} }];
  }
  const mine: Record<string, unknown> = {};
  const theirs: Record<string, unknown> = {};
  for (const f of def.type.fields) [mine[f.name], theirs[f.name]] = sample(f.type, r);
  return [mine, theirs];
}

/** Anchor's decoded value in the SDK's representation. */
function normalize(v: unknown, t: IdlType): unknown {
  if (typeof t === "string") {
    if (t === "pubkey") return (v as PublicKey).toBase58();
    if (t in INT_BITS && INT_BITS[t][0] > 32) return BigInt((v as BN).toString());
    return v;
  }
  if ("array" in t || "vec" in t) {
    const e = "array" in t ? t.array[0] : t.vec;
    const items = Array.from(v as ArrayLike<unknown>);
    return e === "u8" ? Uint8Array.from(items as number[]) : items.map((x) => normalize(x, e));
  }
  if ("option" in t) return v === null ? null : normalize(v, t.option);
  const def = typeDef(t.defined.name);
  if (def.type.kind === "enum") return Object.keys(v as object)[0];
  const o = v as Record<string, unknown>;
  return Object.fromEntries(def.type.fields.map((f) => [f.name, normalize(o[f.name], f.type)]));
}

describe("SDK decoders and builders against Anchor's coders", () => {
  it("decodes every account type as Anchor encodes it", async () => {
    const r = rng(7);
    for (const a of IDL.accounts) {
      for (let i = 0; i < 20; i++) {
        const [mine, theirs] = sample({ defined: { name: a.name } }, r);
        const data = await anchor.accounts.encode(a.name, theirs);
        expect(decodeAccount(a.name as "market", data)).toEqual(mine);
        expect([...data.subarray(0, 8)]).toEqual([...accountDiscriminator(a.name as "market")]);
      }
    }
  });

  it("encodes every event so that Anchor decodes it, and decodes it back", () => {
    const r = rng(11);
    for (const e of IDL.events) {
      const t = { defined: { name: e.name } };
      const [mine] = sample(t, r);
      const w = new Writer();
      w.raw(Uint8Array.from(e.discriminator));
      writeType(t, mine, w);
      const bytes = w.bytes();
      const theirs = anchor.events.decode(Buffer.from(bytes).toString("base64"));
      expect(theirs?.name).toBe(e.name);
      expect(normalize(theirs?.data, t)).toEqual(mine);
      expect(decodeEvent(bytes)).toEqual({ name: e.name, data: mine });
    }
  });

  it("reads events only from the program's own log lines", () => {
    const r = rng(3);
    const e = IDL.events.find((x) => x.name === "accountFlagged")!;
    const [mine] = sample({ defined: { name: e.name } }, r);
    const bytes = Buffer.concat([
      Buffer.from(e.discriminator),
      Buffer.from(encodeValue({ defined: { name: e.name } }, mine)),
    ]);
    const line = `Program data: ${bytes.toString("base64")}`;
    const other = "Tokenkeg11111111111111111111111111111111111";
    const logs = [
      `Program ${PROGRAM_ID} invoke [1]`,
      line,
      `Program ${other} invoke [2]`,
      line,
      `Program ${other} success`,
      `Program ${PROGRAM_ID} success`,
      line,
    ];
    expect(parseEvents(logs)).toEqual([{ name: "accountFlagged", data: mine }]);
  });

  it("builds every instruction of the IDL with Anchor's data encoding and the IDL's accounts", () => {
    const r = rng(5);
    expect(IDL.instructions.length).toBeGreaterThanOrEqual(20);
    for (const ix of IDL.instructions) {
      const accounts = Object.fromEntries(ix.accounts.map((a) => [a.name, Keypair.generate().publicKey.toBase58()]));
      const mine: Record<string, unknown> = {};
      const theirs: Record<string, unknown> = {};
      for (const f of ix.args) [mine[f.name], theirs[f.name]] = sample(f.type, r);
      const built = buildInstruction(ix.name as InstructionName, accounts, mine as never);
      expect(Buffer.from(built.data)).toEqual(anchor.instruction.encode(ix.name, theirs));
      expect(built.programAddress).toBe(PROGRAM_ID);
      expect(built.accounts).toEqual(
        ix.accounts.map((a) => ({ address: accounts[a.name], signer: !!a.signer, writable: !!a.writable })),
      );
    }
  });

  it("fills in fixed program addresses and the PDAs whose seeds are given", () => {
    const admin = Keypair.generate().publicKey.toBase58();
    const mint = Keypair.generate().publicKey.toBase58();
    const ix = buildInstruction("initializeExchange", { admin, quoteMint: mint }, {});
    const exchange = exchangeAddress(mint);
    expect(ix.accounts.map((a) => a.address)).toEqual([
      admin,
      mint,
      exchange,
      quoteVaultAddress(exchange),
      insuranceVaultAddress(exchange),
      "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",
      "11111111111111111111111111111111",
    ]);
    const owner = Keypair.generate().publicKey.toBase58();
    const create = buildInstruction("createMarginAccount", { owner, exchange }, {});
    expect(create.accounts[2].address).toBe(marginAccountAddress(exchange, owner));
    expect(() => buildInstruction("createMarket", { admin, exchange }, { params: {} as never })).toThrow(/market/);
  });

  it("derives the program's PDAs as web3.js does", () => {
    const program = new PublicKey(PROGRAM_ID);
    const pda = (...seeds: Buffer[]) => PublicKey.findProgramAddressSync(seeds, program)[0].toBase58();
    for (let i = 0; i < 10; i++) {
      const mint = Keypair.generate().publicKey;
      const owner = Keypair.generate().publicKey;
      const exchange = pda(Buffer.from("exchange"), mint.toBuffer());
      const ex = new PublicKey(exchange).toBuffer();
      expect(exchangeAddress(mint.toBase58())).toBe(exchange);
      expect(quoteVaultAddress(exchange)).toBe(pda(Buffer.from("quote_vault"), ex));
      expect(insuranceVaultAddress(exchange)).toBe(pda(Buffer.from("insurance_vault"), ex));
      expect(marginAccountAddress(exchange, owner.toBase58())).toBe(pda(Buffer.from("margin"), ex, owner.toBuffer()));
      const index = Buffer.alloc(2);
      index.writeUInt16LE(i * 300);
      expect(marketAddress(exchange, i * 300)).toBe(pda(Buffer.from("market"), ex, index));
    }
  });

  it("takes error numbers, names and messages from the IDL", () => {
    const raw = (RAW_IDL as unknown as { errors: { code: number; name: string; msg: string }[] }).errors;
    expect([...PROGRAM_ERRORS.values()]).toEqual(raw);
    expect(errorCode("AccountHealthy")).toBe(raw.find((e) => e.name === "AccountHealthy")!.code);
    const code = errorCode("StaleOracle");
    expect(findProgramError({ InstructionError: [1, { Custom: code }] })?.name).toBe("StaleOracle");
    expect(findProgramError({ value: { err: { InstructionError: [0, { Custom: code }] } } })?.code).toBe(code);
    expect(findProgramError({ context: { code } })?.name).toBe("StaleOracle");
    expect(findProgramError({ logs: [`Program x failed: custom program error: 0x${code.toString(16)}`] })?.code).toBe(
      code,
    );
    expect(findProgramError({ InstructionError: [0, { Custom: 1 }] })).toBeUndefined();
    expect(programError(code)?.msg).toBe(raw.find((e) => e.code === code)!.msg);
  });
});

function encodeValue(t: IdlType, v: unknown): Uint8Array {
  const w = new Writer();
  writeType(t, v, w);
  return w.bytes();
}
