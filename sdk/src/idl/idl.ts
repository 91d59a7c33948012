// The program's IDL (idl/margin.json, generated from the Rust source by `npm run idl`), with every
// name camelCased as Anchor's client and the committed type idl/margin.ts name them. Decoders,
// instruction builders and the error table all read it: nothing here repeats a layout by hand.
import type { Margin } from "../../../idl/margin.js";
import json from "../../../idl/margin.json" with { type: "json" };

export type { Margin };

/** A type in the IDL's notation. */
export type IdlType =
  | string
  | { array: [IdlType, number] }
  | { vec: IdlType }
  | { option: IdlType }
  | { defined: { name: string } };

/** A named field of a struct, an instruction argument. */
export interface IdlField {
  name: string;
  docs?: string[];
  type: IdlType;
}

/** A type definition: a struct with named fields, or an enum of unit variants. */
export interface IdlTypeDef {
  name: string;
  docs?: string[];
  type: { kind: "struct"; fields: IdlField[] } | { kind: "enum"; variants: { name: string }[] };
}

/** An account an instruction takes, in order. */
export interface IdlInstructionAccount {
  name: string;
  docs?: string[];
  writable?: boolean;
  signer?: boolean;
  optional?: boolean;
  /** A fixed address (system program, token program). */
  address?: string;
  pda?: { seeds: ({ kind: "const"; value: number[] } | { kind: "account" | "arg"; path: string; account?: string })[] };
}

/** An instruction: discriminator, accounts in order, arguments in order. */
export interface IdlInstruction {
  name: string;
  docs?: string[];
  discriminator: number[];
  accounts: IdlInstructionAccount[];
  args: IdlField[];
}

/** The parts of an Anchor 0.30+ IDL the SDK reads, names camelCased. */
export interface Idl {
  address: string;
  metadata: { name: string; version: string; spec: string; description?: string };
  instructions: IdlInstruction[];
  accounts: { name: string; discriminator: number[] }[];
  events: { name: string; discriminator: number[] }[];
  /** Error names as the program (and Anchor's `errorCode.code`) spell them, PascalCase. */
  errors: { code: number; name: string; msg: string }[];
  types: IdlTypeDef[];
}

/** `snake_case` or `PascalCase` → `camelCase`, as Anchor converts IDL names. */
export const camelCase = (s: string): string =>
  s
    .split(".")
    .map((part) =>
      part
        .split("_")
        .filter((w) => w.length > 0)
        .map((w, i) => (i === 0 ? w[0].toLowerCase() + w.slice(1) : w[0].toUpperCase() + w.slice(1)))
        .join(""),
    )
    .join(".");

const NAME_KEYS = new Set(["name", "path", "account"]);

function camelNames(value: unknown, inErrors = false): unknown {
  if (Array.isArray(value)) return value.map((v) => camelNames(v, inErrors));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (NAME_KEYS.has(k) && typeof v === "string" && !inErrors) out[k] = camelCase(v);
    else out[k] = camelNames(v, inErrors || k === "errors");
  }
  return out;
}

/** The committed IDL, names camelCased (error names kept as the program spells them). */
export const IDL = camelNames(json) as Idl;

/** The raw committed IDL (snake_case), for Anchor's `Program` (which camelCases it itself). */
export const RAW_IDL = json as unknown as Margin;

/** The margin program's id, as the IDL declares it. */
export const PROGRAM_ID = IDL.address;

/** The IDL's definition of the type `name` (camelCase), or an error naming it. */
export function typeDef(name: string): IdlTypeDef {
  const t = IDL.types.find((x) => x.name === name);
  if (!t) throw new Error(`type ${name} is not in the IDL`);
  return t;
}
