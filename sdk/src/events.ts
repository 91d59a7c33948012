// The program's events, decoded from the IDL: Anchor's `emit!` writes `Program data: <base64>`
// log lines holding the event's 8-byte discriminator and its Borsh fields.
import { Reader } from "./idl/codec.js";
import { IDL } from "./idl/idl.js";
import type { AnyEvent, EventName } from "./idl/types.js";

const fromBase64 = (s: string): Uint8Array => {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
};

/** One event from its bytes (discriminator first); null when the bytes are no event of the program. */
export function decodeEvent(data: Uint8Array): AnyEvent | null {
  if (data.length < 8) return null;
  const e = IDL.events.find((x) => x.discriminator.every((b, i) => data[i] === b));
  if (!e) return null;
  return { name: e.name as EventName, data: new Reader(data, 8).read({ defined: { name: e.name } }) } as AnyEvent;
}

/**
 * Every event the program emitted in a transaction, in order, from its log messages. Only lines
 * logged while the margin program itself was executing count (another program's `Program data`
 * is not ours).
 */
export function parseEvents(logs: readonly string[], programId: string = IDL.address): AnyEvent[] {
  const out: AnyEvent[] = [];
  const stack: string[] = [];
  for (const line of logs) {
    const invoke = /^Program (\w+) invoke \[\d+\]$/.exec(line);
    if (invoke) {
      stack.push(invoke[1]);
      continue;
    }
    if (/^Program \w+ (success|failed)/.test(line)) {
      stack.pop();
      continue;
    }
    if (stack[stack.length - 1] !== programId || !line.startsWith("Program data: ")) continue;
    const ev = decodeEvent(fromBase64(line.slice("Program data: ".length)));
    if (ev) out.push(ev);
  }
  return out;
}

/** The events named `name` among `events`, typed. */
export const eventsNamed = <N extends EventName>(events: readonly AnyEvent[], name: N) =>
  events.filter((e): e is Extract<AnyEvent, { name: N }> => e.name === name);
