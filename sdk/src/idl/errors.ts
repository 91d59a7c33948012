// The program's error codes, numbers, names and messages straight from the IDL (never typed by hand),
// and reading the custom code out of a failed transaction as either client reports it.
import { IDL } from "./idl.js";
import type { ErrorName } from "./types.js";

/** One of the program's errors, as the IDL lists it. */
export interface ProgramErrorInfo {
  /** The custom error number (`InstructionError::Custom(code)`), 6000 and up. */
  code: number;
  /** The name as the program (and Anchor's `errorCode.code`) spells it. */
  name: ErrorName;
  /** The message the program gives it. */
  msg: string;
}

/** Every program error, by number. */
export const PROGRAM_ERRORS: ReadonlyMap<number, ProgramErrorInfo> = new Map(
  IDL.errors.map((e) => [e.code, { code: e.code, name: e.name as ErrorName, msg: e.msg }]),
);

const BY_NAME = new Map([...PROGRAM_ERRORS.values()].map((e) => [e.name, e]));

/** The error with number `code`, or undefined for a number the program does not define. */
export const programError = (code: number): ProgramErrorInfo | undefined => PROGRAM_ERRORS.get(code);

/** The number of the error `name`. */
export function errorCode(name: ErrorName): number {
  const e = BY_NAME.get(name);
  if (!e) throw new Error(`${name} is not an error of the program`);
  return e.code;
}

/**
 * The program's error in a failed transaction or a thrown client error: a web3.js
 * `{ InstructionError: [i, { Custom: n }] }`, an error carrying one (`err`, `value.err`,
 * `transactionError`), a @solana/kit `SolanaError` whose context holds `code`, an Anchor
 * `AnchorError`, or the "custom program error: 0x…" log line; undefined when none is the program's.
 */
export function findProgramError(e: unknown, depth = 0): ProgramErrorInfo | undefined {
  if (e === null || e === undefined || depth > 6) return undefined;
  if (typeof e === "string") {
    const m = /custom program error: (0x[0-9a-f]+)/i.exec(e);
    return m ? programError(Number.parseInt(m[1], 16)) : undefined;
  }
  if (typeof e !== "object") return undefined;
  const o = e as Record<string, unknown>;
  const ix = o.InstructionError as [number, { Custom?: number }] | undefined;
  if (Array.isArray(ix) && typeof ix[1]?.Custom === "number") return programError(ix[1].Custom);
  const ctx = o.context as { code?: unknown; __code?: unknown } | undefined;
  if (typeof ctx?.code === "number" && programError(ctx.code)) return programError(ctx.code);
  const anchor = (o.error as { errorCode?: { number?: number } } | undefined)?.errorCode?.number;
  if (typeof anchor === "number") return programError(anchor);
  for (const k of ["err", "value", "transactionError", "cause", "error", "logs", "message"]) {
    const inner = o[k];
    const found = Array.isArray(inner)
      ? inner.map((x) => findProgramError(x, depth + 1)).find((x) => x)
      : findProgramError(inner, depth + 1);
    if (found) return found;
  }
  return undefined;
}
