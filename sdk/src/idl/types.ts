// TypeScript types of decoded accounts, events and instruction arguments, derived at the type level
// from the committed IDL type (idl/margin.ts): a field added to the program shows up here with no
// hand-written line.
import type { Address } from "../state/types.js";
import type { Margin } from "./idl.js";

type TypeDefs = Margin["types"][number];
type Named<N> = Extract<TypeDefs, { name: N }>;
type FieldList = readonly { name: string; type: unknown }[];

/** The TypeScript value of an IDL type: ≤ 32-bit integers as number, wider ones as bigint, keys as base58. */
export type IdlValue<T> = T extends "bool"
  ? boolean
  : T extends "u8" | "i8" | "u16" | "i16" | "u32" | "i32"
    ? number
    : T extends "u64" | "i64" | "u128" | "i128"
      ? bigint
      : T extends "pubkey"
        ? Address
        : T extends { array: ["u8", number] } | { vec: "u8" }
          ? Uint8Array
          : T extends { array: [infer E, number] }
            ? IdlValue<E>[]
            : T extends { vec: infer E }
              ? IdlValue<E>[]
              : T extends { option: infer E }
                ? IdlValue<E> | null
                : T extends { defined: { name: infer N } }
                  ? Defined<N>
                  : unknown;

/** An object with one property per field. */
export type Fields<F extends FieldList> = { [K in F[number] as K["name"]]: IdlValue<K["type"]> };

/** The value of the IDL's defined type `N`: an object for a struct, the variant's name for an enum. */
export type Defined<N> =
  Named<N> extends { type: { kind: "struct"; fields: infer F extends FieldList } }
    ? Fields<F>
    : Named<N> extends { type: { kind: "enum"; variants: infer V extends readonly { name: string }[] } }
      ? V[number]["name"]
      : never;

/** Names of the program's accounts: `"exchange" | "marginAccount" | "market"`. */
export type AccountName = Margin["accounts"][number]["name"];
/** Names of the program's events, e.g. `"liquidationRecord"`. */
export type EventName = Margin["events"][number]["name"];
/** Names of the program's instructions, e.g. `"liquidate"`. */
export type InstructionName = Margin["instructions"][number]["name"];
/** Names of the program's errors as it spells them, e.g. `"AccountHealthy"`. */
export type ErrorName = Capitalize<Margin["errors"][number]["name"]>;

/** A decoded account of type `N`, every field of its layout. */
export type AccountData<N extends AccountName> = Defined<N>;
/** A decoded event of type `N`. */
export type EventData<N extends EventName> = Defined<N>;
/** A decoded event with its name, discriminated on `name`. */
export type AnyEvent = { [N in EventName]: { name: N; data: EventData<N> } }[EventName];

type Ix<N> = Extract<Margin["instructions"][number], { name: N }>;
/** The arguments of instruction `N`, by name. */
export type InstructionArgs<N extends InstructionName> =
  Ix<N> extends { args: infer F extends FieldList } ? Fields<F> : never;
/** The accounts of instruction `N`, by name (fixed program addresses included, optional to pass). */
export type InstructionAccountName<N extends InstructionName> = Ix<N>["accounts"][number]["name"];
