// Any instruction of the program from the IDL: its discriminator, its accounts in the IDL's order
// (fixed program addresses and derivable PDAs filled in), its arguments in Borsh. The result is
// client-neutral; the web3.js and kit adapters turn it into their own instruction type.
import { decodeAddress } from "../address.js";
import { Writer, writeType } from "../idl/codec.js";
import { IDL, type IdlInstruction } from "../idl/idl.js";
import type { InstructionAccountName, InstructionArgs, InstructionName } from "../idl/types.js";
import { findProgramAddress } from "../pda.js";
import type { Address } from "../state/types.js";

/** One account of an instruction. */
export interface AccountMeta {
  address: Address;
  signer: boolean;
  writable: boolean;
}

/** A client-neutral instruction: program, accounts in order, data. */
export interface Instruction {
  programAddress: Address;
  accounts: AccountMeta[];
  data: Uint8Array;
}

/** An account the instruction needs that was neither given nor derivable. */
export class MissingAccountError extends Error {}

/** The IDL's definition of instruction `name`. */
export function instructionDef(name: InstructionName): IdlInstruction {
  const ix = IDL.instructions.find((i) => i.name === name);
  if (!ix) throw new Error(`instruction ${name} is not in the IDL`);
  return ix;
}

/** The accounts an instruction takes, by IDL name; fixed addresses and derivable PDAs may be left out. */
export type InstructionAccounts<N extends InstructionName> = Partial<Record<InstructionAccountName<N>, Address>>;

/** Options of `buildInstruction`. */
export interface BuildOptions {
  /** Appended after the named accounts (e.g. `[market, oracle]` pairs). */
  remaining?: AccountMeta[];
  /** The program to call; the IDL's address by default. */
  programId?: Address;
}

function derive(ix: IdlInstruction, name: string, given: Record<string, Address>, programId: Address): Address | null {
  const pda = ix.accounts.find((a) => a.name === name)?.pda;
  if (!pda) return null;
  const seeds: Uint8Array[] = [];
  for (const s of pda.seeds) {
    if (s.kind === "const") seeds.push(Uint8Array.from(s.value));
    else if (s.kind === "account" && !s.path.includes(".")) {
      const address = given[s.path] ?? resolve(ix, s.path, given, programId);
      if (!address) return null;
      seeds.push(decodeAddress(address));
    } else return null; // a seed from an account's data or an argument: the caller passes the address.
  }
  return findProgramAddress(seeds, programId)[0];
}

function resolve(ix: IdlInstruction, name: string, given: Record<string, Address>, programId: Address): Address | null {
  const def = ix.accounts.find((a) => a.name === name);
  return given[name] ?? def?.address ?? derive(ix, name, given, programId);
}

/**
 * Instruction `name` of the program, with `accounts` by their IDL names (fixed program addresses
 * and PDAs whose seeds are given accounts may be left out) and `args` by name. Throws
 * `MissingAccountError` naming what is missing.
 */
export function buildInstruction<N extends InstructionName>(
  name: N,
  accounts: InstructionAccounts<N>,
  args: InstructionArgs<N>,
  opts: BuildOptions = {},
): Instruction {
  const ix = instructionDef(name);
  const programId = opts.programId ?? IDL.address;
  const given = accounts as Record<string, Address>;
  const metas = ix.accounts.map((a) => {
    const address = resolve(ix, a.name, given, programId);
    if (!address) throw new MissingAccountError(`${name}: account ${a.name} is required`);
    return { address, signer: a.signer === true, writable: a.writable === true };
  });
  const w = new Writer();
  w.raw(Uint8Array.from(ix.discriminator));
  const values = args as Record<string, unknown>;
  for (const f of ix.args) {
    if (!(f.name in values)) throw new Error(`${name}: argument ${f.name} is required`);
    writeType(f.type, values[f.name], w);
  }
  return { programAddress: programId, accounts: [...metas, ...(opts.remaining ?? [])], data: w.bytes() };
}
